/**
 * Data sets for the fake DATEVconnect server: the addressee/communication shapes DATEV documents
 * (optional fields omitted, not null), a small fixed set covering the matching cases, and a
 * deterministic generated set of any size.
 */

export interface FakeCommunication {
  id: string;
  type: 'phone' | 'email' | 'url' | 'fax' | 'other';
  data_content: string;
  number_standardized?: string;
  note?: string;
  is_main_communication?: boolean;
  is_management_phone?: boolean;
}

export interface FakeAddressee {
  id: string;
  type: 'natural_person' | 'legal_person';
  status: 'active' | 'inactive';
  firstname?: string;
  current_surname?: string;
  current_company_name?: string;
  current_short_name?: string;
  surrogate_name?: string;
  timestamp: string;
  communications: FakeCommunication[];
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function guid(rand: () => number): string {
  const hex = (n: number): string => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[Math.floor(rand() * 4)]}${hex(3)}-${hex(12)}`;
}

/** DATEV's timestamp format: local time without zone, milliseconds. */
export function datevTimestamp(d: Date): string {
  return d.toISOString().replace('Z', '');
}

/** number_standardized as DATEV computes it: digits with "00" international prefix. */
export function standardize(e164Digits: string): string {
  return '00' + e164Digits;
}

function phone(rand: () => number, text: string, digits: string, extra: Partial<FakeCommunication> = {}): FakeCommunication {
  const c: FakeCommunication = { id: guid(rand), type: 'phone', data_content: text, ...extra };
  if (digits !== '') c.number_standardized = standardize(digits);
  return c;
}

/** Small set covering the matching cases (ids are fixed so tests can name them). */
export function fixedDataset(timestamp = '2024-01-15T09:30:00.000'): FakeAddressee[] {
  const r = prng(7);
  const ts = timestamp;
  return [
    { id: 'a0000000-0000-4000-8000-000000000001', type: 'legal_person', status: 'active', current_company_name: 'Muster Steuer GmbH', timestamp: ts,
      communications: [phone(r, '+49 (0)89 12345-0', '4989123450', { note: 'Zentrale', is_main_communication: true }), { id: guid(r), type: 'email', data_content: 'info@muster.example' }, { id: guid(r), type: 'fax', data_content: '089 12345-99' }] },
    { id: 'a0000000-0000-4000-8000-000000000002', type: 'natural_person', status: 'active', firstname: 'Sonja', current_surname: 'Mustermeier', timestamp: ts,
      communications: [phone(r, '089/123 45-17', '49891234517', { note: 'nur vormittags' }), phone(r, '0171 1234567', '491711234567', { is_main_communication: true })] },
    { id: 'a0000000-0000-4000-8000-000000000003', type: 'natural_person', status: 'active', firstname: 'Jörg', current_surname: 'Weiß', timestamp: ts,
      communications: [phone(r, '0049 30 1234 5678', '493012345678')] },
    { id: 'a0000000-0000-4000-8000-000000000004', type: 'natural_person', status: 'active', firstname: 'Anna', current_surname: 'Weiß', timestamp: ts,
      communications: [phone(r, '030/12345678 (privat)', '493012345678', { is_management_phone: true })] },
    { id: 'a0000000-0000-4000-8000-000000000005', type: 'legal_person', status: 'inactive', current_company_name: 'Alt & Co. KG', timestamp: ts,
      communications: [phone(r, '+49 40 4711 0815', '494047110815')] },
    { id: 'a0000000-0000-4000-8000-000000000006', type: 'legal_person', status: 'active', current_company_name: 'Wiener Treuhand GmbH', timestamp: ts,
      communications: [phone(r, '+43 1 234567', '431234567')] },
    { id: 'a0000000-0000-4000-8000-000000000007', type: 'natural_person', status: 'active', firstname: 'Otto', current_surname: 'Ohnetelefon', timestamp: ts,
      communications: [{ id: guid(r), type: 'email', data_content: 'otto@example.org' }] },
    { id: 'a0000000-0000-4000-8000-000000000008', type: 'legal_person', status: 'active', current_company_name: 'Neue Kanzlei AG', timestamp: ts,
      communications: [phone(r, 'Zentrale: 06221 98765-0', '496221987650'), phone(r, 'siehe Homepage', '')] },
  ];
}

const SURNAMES = ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Schäfer', 'Koch', 'Bauer', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Krüger', 'Hofmann', 'Hartmann', 'Lange', 'Schmitt', 'Werner', 'Schmitz', 'Krause', 'Meier'];
const FIRSTNAMES = ['Anna', 'Paul', 'Marie', 'Lukas', 'Sophie', 'Jonas', 'Emma', 'Leon', 'Mia', 'Felix', 'Hannah', 'Elias', 'Lea', 'Jörg', 'Jürgen', 'Ursula', 'Günter', 'Käthe'];
const COMPANY = ['GmbH', 'GmbH & Co. KG', 'AG', 'KG', 'e.K.', 'OHG', 'GbR', 'mbB'];
const AREAS = ['30', '40', '89', '221', '69', '711', '211', '231', '201', '421', '351', '511', '911', '6221', '8721', '3581', '7621', '2361'];
const MOBILE = ['151', '152', '157', '160', '162', '163', '170', '171', '172', '173', '174', '175', '176', '177', '178', '179'];

/** One number in one of the ways people type them; `serial` keeps numbers unique. */
function typedNumber(rand: () => number, serial: number): { text: string; digits: string } {
  const sub = String(1000000 + serial).slice(-7);
  const pick = Math.floor(rand() * 10);
  if (pick < 3) {
    const m = MOBILE[serial % MOBILE.length]!;
    const s = String(10000000 + serial).slice(-8);
    const forms = [`0${m} ${s}`, `+49 ${m} ${s}`, `0${m}/${s}`, `0049 ${m} ${s.slice(0, 3)} ${s.slice(3)}`];
    return { text: forms[Math.floor(rand() * forms.length)]!, digits: `49${m}${s}` };
  }
  const a = AREAS[serial % AREAS.length]!;
  const forms = [`0${a} ${sub}`, `0${a}/${sub.slice(0, 3)} ${sub.slice(3)}`, `+49 (0)${a} ${sub}`, `+49 ${a} ${sub}`, `0049 ${a} ${sub}`, `(0${a}) ${sub} nur vormittags`, `0${a}-${sub}`];
  return { text: forms[Math.floor(rand() * forms.length)]!, digits: `49${a}${sub}` };
}

/**
 * A generated data set: `count` addressees with `phones` phone entries in total (spread evenly), plus
 * some e-mail entries. Same seed → same data.
 */
export function generateDataset(count: number, phones: number, seed = 42, timestamp = '2024-01-15T09:30:00.000'): FakeAddressee[] {
  const rand = prng(seed);
  const out: FakeAddressee[] = [];
  const per = Math.floor(phones / count);
  const extra = phones - per * count;
  let serial = 0;
  for (let i = 0; i < count; i++) {
    const legal = rand() < 0.4;
    const surname = SURNAMES[Math.floor(rand() * SURNAMES.length)]!;
    const a: FakeAddressee = legal
      ? { id: guid(rand), type: 'legal_person', status: rand() < 0.95 ? 'active' : 'inactive', current_company_name: `${surname} ${i} ${COMPANY[i % COMPANY.length]!}`, timestamp, communications: [] }
      : { id: guid(rand), type: 'natural_person', status: rand() < 0.95 ? 'active' : 'inactive', firstname: FIRSTNAMES[Math.floor(rand() * FIRSTNAMES.length)]!, current_surname: `${surname}-${i}`, timestamp, communications: [] };
    const n = per + (i < extra ? 1 : 0);
    for (let k = 0; k < n; k++) {
      const { text, digits } = typedNumber(rand, serial++);
      a.communications.push(phone(rand, text, digits, k === 0 ? { is_main_communication: true } : {}));
    }
    if (i % 3 === 0) a.communications.push({ id: guid(rand), type: 'email', data_content: `kontakt${i}@example.org` });
    out.push(a);
  }
  return out;
}

/** An addressee carrying a port-level Contact (for contract harnesses): "Surname, First" → person, else company. */
export function contactToAddressee(c: { id: string; name: string; number: string }, timestamp = '2024-01-15T09:30:00.000'): FakeAddressee {
  const comma = /^([^,]+),\s*(.+)$/.exec(c.name);
  const base = comma
    ? { type: 'natural_person' as const, current_surname: comma[1]!, firstname: comma[2]! }
    : { type: 'legal_person' as const, current_company_name: c.name };
  return { id: c.id, status: 'active', timestamp, ...base, communications: [{ id: `${c.id}-phone`, type: 'phone', data_content: c.number }] };
}
