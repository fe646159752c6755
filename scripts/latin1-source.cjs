// JavaScript source as Latin-1: each UTF-16 unit above U+00FF written as its \uXXXX escape (a surrogate
// pair as two escapes). The escape means the same character in string literals, template literals,
// regular expressions (with or without the u flag) and identifiers, and is plain text in a comment; V8
// keeps a script whose characters are all Latin-1 as a one-byte string (half the memory of two-byte).
// Used by scripts/pkg-sea-config.cjs on pkg's bootstrap; test/unit/latin1Source.test.ts.
'use strict';

const ABOVE_LATIN1 = /[\u0100-\uffff]/g;

/** The source with every character above U+00FF escaped, and how many there were. */
function latin1Source(text) {
  let count = 0;
  const source = text.replace(ABOVE_LATIN1, (c) => {
    count++;
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return { source, count };
}

module.exports = { latin1Source };
