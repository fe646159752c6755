/**
 * Typed DATEVconnect failures with a support text (German for the user, English for support) that
 * says what to do. `status()`/--diagnose show them; the log gets each problem once.
 */

export type DatevConnectErrorKind =
  | 'unauthorized'
  | 'forbidden'
  | 'notFound'
  | 'notAcceptable'
  | 'badRequest'
  | 'server'
  | 'timeout'
  | 'network'
  | 'malformed'
  | 'authUnavailable';

export interface SupportText {
  de: string;
  en: string;
}

export class DatevConnectError extends Error {
  override readonly name = 'DatevConnectError';

  constructor(
    readonly kind: DatevConnectErrorKind,
    message: string,
    readonly details: {
      httpStatus?: number;
      /** DATEV error code from the body (`error`), e.g. DCO10400. */
      code?: string;
      /** DATEV's own error_description. */
      description?: string;
      /** Schemes offered in WWW-Authenticate. */
      authSchemes?: string[];
      url?: string;
    } = {},
  ) {
    super(message);
  }

  get support(): SupportText {
    return supportText(this);
  }
}

export function supportText(e: DatevConnectError): SupportText {
  const d = e.details;
  switch (e.kind) {
    case 'unauthorized':
      return {
        de: `DATEVconnect hat die Anmeldung abgelehnt (401). Bei "basic" Benutzername und gespeichertes Kennwort prüfen, bei "windows" den angemeldeten Windows-Benutzer (--diagnose nennt ihn); der Benutzer muss ein DATEV-Benutzer mit Zugriff auf DATEVconnect sein.${d.authSchemes?.length ? ` Angebotene Verfahren: ${d.authSchemes.join(', ')}.` : ''}`,
        en: `DATEVconnect rejected the credentials (401). For "basic" check the user and the stored password, for "windows" the signed-in Windows user (shown by --diagnose); the user must be a DATEV user allowed to use DATEVconnect.${d.authSchemes?.length ? ` Offered schemes: ${d.authSchemes.join(', ')}.` : ''}`,
      };
    case 'forbidden':
      return d.code
        ? {
            de: `DATEVconnect verweigert den Zugriff auf die Stammdaten (403, ${d.code}${d.description ? `: ${d.description}` : ''}). In der DATEV-Rechteverwaltung dem Benutzer das Recht auf die Adressaten-Stammdaten (DATEVconnect) geben.`,
            en: `DATEVconnect denies access to master data (403, ${d.code}). Grant the user the DATEVconnect/master-data right in DATEV's rights administration.`,
          }
        : {
            de: 'DATEVconnect verweigert den Zugriff (403 ohne Meldung, Windows-Anmeldung gescheitert). DATEV-Rechte des Benutzers prüfen (ein "Verweigern"-Recht in einer DATEV-Gruppe) und die Windows-Anmeldung am DATEV-Server.',
            en: 'DATEVconnect denies access (403 with empty body from http.sys: Windows authentication failed). Check the user\'s DATEV rights (a "deny" right in a DATEV group) and the Windows logon against the DATEV server.',
          };
    case 'notFound':
      return {
        de: `DATEVconnect kennt die Stammdaten-Schnittstelle nicht (404${d.description ? `: ${d.description}` : ''}). Prüfen, ob DATEVconnect mit "Client Master Data" (master-data v1) installiert ist und die URL stimmt.`,
        en: 'DATEVconnect does not offer master-data v1 (404). Check that DATEVconnect with Client Master Data is installed and the configured URL is right.',
      };
    case 'notAcceptable':
      return {
        de: 'DATEVconnect liefert kein JSON (406 oder anderes Format). DATEVconnect-Version prüfen; bitte an den Support melden.',
        en: 'DATEVconnect does not answer in JSON (406 or another content type). Check the DATEVconnect version; report to support.',
      };
    case 'badRequest':
      return {
        de: `DATEVconnect lehnt die Anfrage ab (400${d.description ? `: ${d.description}` : ''}). Bitte an den Support melden.`,
        en: 'DATEVconnect rejected the request (400). Report to support with the log.',
      };
    case 'server':
      return {
        de: `DATEVconnect meldet einen Serverfehler (${d.httpStatus ?? '5xx'}${d.code ? `, ${d.code}` : ''}). DATEV-Dienste (Datev.Connect.Server) neu starten oder später erneut versuchen; die bisherigen Kontakte bleiben in Gebrauch.`,
        en: `DATEVconnect reports a server error (${d.httpStatus ?? '5xx'}). Restart the DATEV services (Datev.Connect.Server) or wait; the last good contact index stays in use.`,
      };
    case 'timeout':
      return {
        de: 'DATEVconnect antwortet nicht rechtzeitig. Läuft DATEV (Datev.Connect.Server)? Die bisherigen Kontakte bleiben in Gebrauch.',
        en: 'DATEVconnect did not answer in time. Is DATEV (Datev.Connect.Server) running? The last good contact index stays in use.',
      };
    case 'network':
      return {
        de: 'DATEVconnect ist nicht erreichbar. Läuft der Dienst Datev.Connect.Server, und stimmt die URL (Standard http://localhost:58454)?',
        en: 'DATEVconnect is unreachable. Is the Datev.Connect.Server service running and is the URL right (default http://localhost:58454)?',
      };
    case 'malformed':
      return {
        de: 'DATEVconnect hat eine unlesbare Antwort geschickt. Bitte an den Support melden; die bisherigen Kontakte bleiben in Gebrauch.',
        en: 'DATEVconnect sent a malformed response. Report to support; the last good contact index stays in use.',
      };
    case 'authUnavailable':
      return {
        de: 'Für die Anmeldung an DATEVconnect fehlt etwas: bei "basic" den Benutzer (contacts.datevConnect.user) eintragen und das Kennwort mit „wildix-datev-cti --set-datevconnect-password“ speichern; "windows" gibt es nur im Windows-Programm.',
        en: 'DATEVconnect sign-in is incomplete: for "basic" set contacts.datevConnect.user and store the password with --set-datevconnect-password; "windows" needs the Windows program.',
      };
  }
}

/**
 * Reads a DATEV error body `{error, error_description, request_id, additional_messages: [{description,
 * severity}]}` (datev-contacts.md §2.5; only `error` is required); fields absent when absent or not JSON.
 * `more`: the additional messages' descriptions (errors first, at most three) — what support needs.
 */
export function parseErrorBody(body: string): { code?: string; description?: string; requestId?: string; more?: string[] } {
  try {
    const v: unknown = JSON.parse(body);
    if (typeof v !== 'object' || v === null) return {};
    const o = v as Record<string, unknown>;
    const messages = Array.isArray(o.additional_messages) ? o.additional_messages : [];
    const texts = messages
      .filter((m): m is { description: string; severity?: unknown } => typeof m === 'object' && m !== null && typeof (m as { description?: unknown }).description === 'string')
      .sort((a, b) => Number(b.severity === 'error') - Number(a.severity === 'error'))
      .map((m) => m.description.trim())
      .filter((t) => t !== '')
      .slice(0, 3);
    return {
      ...(typeof o.error === 'string' && o.error !== '' ? { code: o.error } : {}),
      ...(typeof o.error_description === 'string' ? { description: o.error_description } : {}),
      ...(typeof o.request_id === 'string' && o.request_id !== '' ? { requestId: o.request_id } : {}),
      ...(texts.length > 0 ? { more: texts } : {}),
    };
  } catch {
    return {};
  }
}
