"""Trimming text fields, the one way the API documents (JSON Schema's and JavaScript's ``\\s``)."""

WHITESPACE = (
    " \t\n\v\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)
"""ECMA-262 white space and line terminators. Python's ``str.strip()`` also
strips control characters such as U+001E, so a title the OpenAPI document
calls valid would have been refused as empty (found by Schemathesis)."""


def trim(value: str) -> str:
    return value.strip(WHITESPACE)
