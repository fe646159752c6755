/** DATEVconnect addressee → the record the contact table is built from (table/builder.ts). */

export interface PhoneRecord {
  /** data_content: the number as typed in DATEV. */
  raw: string;
  /** number_standardized ("0049…"), when DATEV has one. */
  std?: string;
  main?: boolean;
  mgmt?: boolean;
}

export interface AddresseeRecord {
  id: string;
  name: string;
  active: boolean;
  timestamp: string;
  phones: PhoneRecord[];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

/** Display name as DATEV shows addressees: company name, or "Surname, Firstname". */
export function displayName(a: Record<string, unknown>): string {
  const company = str(a.current_company_name);
  const surname = str(a.current_surname);
  const first = str(a.firstname);
  if (a.type === 'legal_person' && company) return company;
  if (surname) return first ? `${surname}, ${first}` : surname;
  return company || first || str(a.current_short_name) || str(a.surrogate_name);
}

/** Null when the object is not an addressee (no id). */
export function toRecord(a: Record<string, unknown>): AddresseeRecord | null {
  const id = str(a.id);
  if (!id) return null;
  const phones: PhoneRecord[] = [];
  if (Array.isArray(a.communications)) {
    for (const c of a.communications as unknown[]) {
      if (typeof c !== 'object' || c === null) continue;
      const o = c as Record<string, unknown>;
      if (o.type !== 'phone') continue;
      const raw = str(o.data_content);
      const std = str(o.number_standardized);
      if (!raw && !std) continue;
      phones.push({ raw, std: std || undefined, main: o.is_main_communication === true || undefined, mgmt: o.is_management_phone === true || undefined });
    }
  }
  return { id, name: displayName(a) || id, active: a.status !== 'inactive', timestamp: str(a.timestamp), phones };
}

export function isAddresseeRecord(v: unknown): v is AddresseeRecord {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.id === 'string' &&
    typeof o.name === 'string' &&
    typeof o.active === 'boolean' &&
    typeof o.timestamp === 'string' &&
    Array.isArray(o.phones) &&
    o.phones.every((p) => typeof p === 'object' && p !== null && typeof (p as PhoneRecord).raw === 'string')
  );
}
