/** The journal windows contract against the in-memory fake. */
import { journalWindowsContract } from '../../contracts/journalWindows.contract';
import { FakeJournalWindows } from '../../fakes/journalWindows/fakeJournalWindows';

journalWindowsContract('in-memory fake', async () => {
  const w = new FakeJournalWindows();
  let shown: { id: string; label: string }[] = [];
  return {
    notes: w.notes,
    list: w.callList,
    chooser: w.chooser,
    user: {
      notes: async () => w.noteUser.openNotes().map((n) => ({ id: n.id, title: n.spec.title, heading: n.spec.heading, text: n.spec.text, focused: false })),
      saveNote: async (id, text) => w.noteUser.save(id, text),
      discardNote: async (id) => w.noteUser.discard(id),
      callListRows: async () => w.listUser.rows()?.map((r) => ({ id: r.id, cells: r.cells })),
      callListAction: async (rowId, action) => w.listUser.act(action, rowId),
      closeCallList: async () => w.listUser.close(),
      chooserSearch: async (text) => {
        shown = await w.listUser.search(text);
        return shown.map((c) => c.label);
      },
      chooserPick: async (label) => {
        const c = shown.find((x) => x.label === label);
        if (c) w.listUser.pick(c.id);
      },
      chooserCancel: async () => w.listUser.cancel(),
    },
    dispose: async () => {},
  };
});
