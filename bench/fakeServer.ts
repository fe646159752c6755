/**
 * The fake DATEVconnect for the benchmark, in its own process (its CPU is not the client's):
 * serves a generated data set and edits it on request over IPC, so the benchmark can time an
 * incremental refresh. Messages: {op: 'edit', changed, removed, added} → {op: 'edited'}.
 */
import { datevTimestamp, generateDataset, type FakeAddressee } from '../fakes/datevconnect/data';
import { FakeDatevConnect } from '../fakes/datevconnect/server';

interface EditRequest {
  op: 'edit';
  changed: number;
  removed: number;
  added: number;
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 1000);
  const phones = Number(process.argv[3] ?? count * 2);
  const data = generateDataset(count, phones);
  // edited over time, as in a real office (one second apart), so "timestamp ge <newest>" lists few
  const start = Date.parse('2024-01-15T09:30:00.000Z');
  data.forEach((a, i) => (a.timestamp = datevTimestamp(new Date(start + i * 1000))));
  const fake = new FakeDatevConnect(data, { recordRequests: false });
  const url = await fake.start(0);
  process.send?.({ url });
  let serial = 0;
  process.on('message', (m: EditRequest) => {
    if (m.op !== 'edit') return;
    for (let i = 0; i < m.changed; i++) {
      const a = data[(i * 97) % data.length]!;
      fake.setPhones(a.id, [{ data_content: `0711 ${String(5000000 + serial++)}`, is_main_communication: true }]);
    }
    for (let i = 0; i < m.removed; i++) fake.remove(data[data.length - 1 - i]!.id);
    for (let i = 0; i < m.added; i++) {
      const a: FakeAddressee = { ...data[i]!, id: `b0000000-0000-4000-8000-${String(i).padStart(12, '0')}`, communications: [{ id: `n${i}`, type: 'phone', data_content: `0911 ${String(7000000 + i)}` }] };
      fake.upsert(a);
    }
    process.send?.({ op: 'edited' });
  });
  const stop = (): void => void fake.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
}

void main();
