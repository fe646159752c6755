// JavaScript source as Latin-1: each UTF-16 unit above U+00FF written as its \uXXXX escape (a surrogate
// pair as two escapes). The escape means the same character in string literals, template literals,
// regular expressions (with or without the u flag) and identifiers, and is plain text in a comment; V8
// keeps a script whose characters are all Latin-1 as a one-byte string (half the memory of two-byte).
// A character already escaped by a backslash ("\—", an identity escape) loses that backslash, so the
// escape stays one escape. Not the same only in String.raw`…` and a function's toString(), which show
// the escape's text. Used by scripts/pkg-sea-config.cjs (pkg's bootstrap) and scripts/bundle.js (the
// early modules); test/unit/latin1Source.test.ts.
'use strict';

// a character above U+00FF and the backslashes right before it
const ABOVE_LATIN1 = /(\\*)([\u0100-\uffff])/g;

/** The source with every character above U+00FF escaped, and how many there were. */
function latin1Source(text) {
  let count = 0;
  const source = text.replace(ABOVE_LATIN1, (_, slashes, c) => {
    count++;
    const kept = slashes.length % 2 === 1 ? slashes.slice(1) : slashes;  // an odd run escapes the character
    return `${kept}\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
  return { source, count };
}

module.exports = { latin1Source };
