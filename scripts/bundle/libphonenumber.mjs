/**
 * What the program uses of libphonenumber-js (src/contacts/numbers.ts, src/telephony/dialable.ts; both
 * with the "min" metadata), re-exported by name: scripts/bundle.js puts this in place of
 * 'libphonenumber-js' and 'libphonenumber-js/min', so that esbuild keeps only these and what they need
 * instead of the whole library (as-you-type formatter, number finder in text, …).
 * scripts/bundle.js fails the build if the program uses a name that is missing here.
 */
export { getCountryCallingCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/min';
