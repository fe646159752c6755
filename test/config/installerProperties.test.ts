/** The installer's settings properties (LINE=…, DIALFORMAT=…) checked against the config schema. */
import { describe, expect, it } from 'vitest';
import { checkProperties, INSTALLER_PROPERTIES, keysWithoutProperty, propertyOf } from '../../src/config/installerProperties';
import { leafKeys } from '../../src/config/layers';

describe('installer properties', () => {
  it('every config key has exactly one upper-case property (add one to INSTALLER_PROPERTIES for a new key)', () => {
    expect(keysWithoutProperty()).toEqual([]);
    const keys = Object.values(INSTALLER_PROPERTIES);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.every((k) => leafKeys().includes(k))).toBe(true);
    expect(Object.keys(INSTALLER_PROPERTIES).every((p) => /^[A-Z][A-Z0-9]*$/.test(p))).toBe(true);
    expect(propertyOf('contacts.datevConnect.baseUrl')).toBe('DATEVCONNECTURL');
    expect(propertyOf('nope')).toBeUndefined();
  });

  it('turns NAME=VALUE into the nested settings, with numbers and yes/no as the schema wants them', () => {
    const r = checkProperties(['LINE=Wildix 201', 'dialformat=national', 'EXTENSIONLENGTH=3', 'DATEVCONNECT=nein', 'LOGMASK=1', 'DATEVCONNECTURL=http://dc:58454', 'OUTSIDELINEPREFIX=0']);
    expect(r.errors).toEqual([]);
    expect(r.values).toEqual({
      line: 'Wildix 201',
      dialFormat: 'national',
      extensionLength: 3,
      outsideLinePrefix: '0',
      contacts: { datevConnect: { enabled: false, baseUrl: 'http://dc:58454' } },
      log: { mask: true },
    });
    expect(r.taken).toEqual(['LINE=Wildix 201', 'DIALFORMAT=national', 'EXTENSIONLENGTH=3', 'DATEVCONNECT=nein', 'LOGMASK=1', 'DATEVCONNECTURL=http://dc:58454', 'OUTSIDELINEPREFIX=0']);
  });

  it('an empty value means "not given" (msiexec passes every property)', () => {
    const r = checkProperties(['LINE=', 'DIALFORMAT=', 'AREACODE=89']);
    expect(r).toEqual({ values: { areaCode: '89' }, taken: ['AREACODE=89'], errors: [] });
  });

  it('names each bad property with what is allowed', () => {
    const r = checkProperties(['DIALFORMAT=fast', 'EXTENSIONLENGTH=99', 'LOGMASK=vielleicht', 'OUTSIDELINEPREFIX=abc', 'DATEVCONNECTURL=not a url', 'TAPIREPLYTIMEOUTMS=1.5']);
    expect(r.errors).toHaveLength(6);
    expect(r.errors[0]).toBe('DIALFORMAT (dialFormat): ungültiger Wert / invalid value "fast": erlaubt / allowed: "e164", "national", "digits"');
    expect(r.errors.find((e) => e.startsWith('EXTENSIONLENGTH (extensionLength)'))).toContain('99');
    expect(r.errors.find((e) => e.startsWith('LOGMASK (log.mask)'))).toContain('"vielleicht"');
    expect(r.errors.find((e) => e.startsWith('OUTSIDELINEPREFIX'))).toContain('"abc"');
    expect(r.errors.find((e) => e.startsWith('DATEVCONNECTURL'))).toContain('"not a url"');
    expect(r.errors.find((e) => e.startsWith('TAPIREPLYTIMEOUTMS'))).toContain('"1.5"');
    expect(r.errors.every((e) => !e.includes('wird verwendet'))).toBe(true); // nothing "is used": the install stops
  });

  it('unknown names, a missing "=" and a property given twice are errors', () => {
    const r = checkProperties(['FOO=1', 'LINE', '=x', 'LINE=1', 'line=2']);
    expect(r.errors).toEqual([
      expect.stringMatching(/^FOO: unbekannte Eigenschaft \/ unknown property; bekannt \/ known: LINE, COUNTRY/),
      '„LINE“: erwartet / expected NAME=WERT (NAME=VALUE)',
      '„=x“: erwartet / expected NAME=WERT (NAME=VALUE)',
      'LINE: mehrfach angegeben / given more than once',
    ]);
    expect(r.values).toEqual({ line: '1' });
  });
});
