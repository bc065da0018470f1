"""Operator and function names of the Sumo query language, lower case.

Compiled from the operator index of the Sumo Logic documentation (search operators, parse operators,
group/aggregate operators, math expressions, transaction analytics) and checked against the stage words of
the 13,006-query corpus. The parser uses them to recognise operators it has no dedicated grammar for; the
linter flags names outside them (rule SUMO005). Sumo treats these names case-insensitively.
"""

from __future__ import annotations

#: group-by operators; each takes ``(field)`` or, for some, a bare field list, and accepts ``as`` / ``by``
AGGREGATE_FUNCTIONS = frozenset({
    "count", "count_distinct", "count_frequent", "sum", "avg", "min", "max", "first", "last", "values",
    "pct", "stddev", "median", "most_recent", "least_recent", "topk", "pct_sampling",
})

#: operators that start a stage and are documented, with or without a dedicated node
DOCUMENTED_OPERATORS = frozenset({
    # parse operators
    "parse", "extract", "json", "csv", "split", "keyvalue", "kv", "xml", "parsedate", "parsehex",
    # search operators
    "accum", "as", "asn", "backshift", "base64decode", "base64encode", "bin", "cat", "ceil", "compare",
    "concat", "contains", "cidr", "decToHex".lower(), "dedup", "diff", "fields", "fillmissing", "filter",
    "floor", "format", "formatdate", "geoip", "geo", "getcidrprefix", "haversine", "hextodec", "if",
    "ipv4tonumber", "isblank", "isempty", "isnull", "isnumeric", "isprivateip", "ispublicip", "isvalidip",
    "join", "length", "limit", "logcompare", "logexplain", "logreduce", "lookup", "lookupcontains",
    "luhn", "matches", "merge", "now", "num", "outlier", "predict", "queryendtime", "querystarttime",
    "querytimerange", "replace", "rollingstd", "round", "save", "sessionize", "smooth", "sort", "order",
    "substring", "threatip", "threatlookup", "timeslice", "tolowercase", "touppercase", "top", "total",
    "tourl", "trace", "transaction", "transactionize", "transpose", "trim", "urldecode", "urlencode",
    "where", "withtime", "subquery", "compose", "tolong", "toint", "todouble", "tostring", "abs", "exp",
    "log", "log10", "sqrt", "pow", "isvalidipv4", "isvalidipv6", "decode", "hash", "sha1", "sha256", "md5",
    "maskfromcidr", "compareCIDRPrefix".lower(), "ipv4ToNumber".lower(), "infer",
    "timeshift", "ctxlookup", "hextoascii", "escapehtml", "unescapehtml", "fieldcheck",
    "rollingavg", "agg", "describe", "shortest", "longest",
    # aggregates can start a stage too
    *AGGREGATE_FUNCTIONS,
})

#: functions usable inside expressions (where, if, assignments)
DOCUMENTED_FUNCTIONS = frozenset({
    "if", "isnull", "isempty", "isblank", "isnumeric", "isvalidip", "isvalidipv4", "isvalidipv6",
    "isprivateip", "ispublicip", "contains", "tolowercase", "touppercase", "concat", "length", "substring",
    "replace", "trim", "format", "formatdate", "parsedate", "now", "querystarttime", "queryendtime",
    "querytimerange", "num", "tolong", "toint", "todouble", "tostring", "round", "ceil", "floor", "abs",
    "exp", "log", "log10", "sqrt", "cbrt", "pow", "sin", "cos", "tan", "asin", "acos", "atan", "atan2",
    "sinh", "cosh", "tanh", "expm1", "log1p", "hypot", "max", "min", "signum", "todegrees", "toradians",
    "urldecode", "urlencode", "base64decode", "base64encode", "hextodec", "dectohex", "hextoascii",
    "ipv4tonumber", "getcidrprefix", "maskfromcidr", "comparecidrprefix", "tourl", "haversine", "luhn",
    "hash", "decode", "escapehtml", "unescapehtml", "lookupcontains", "timeslice", "values", "indexof",
    "lastindexof", "tobinary", "isnotnull", "isnumber", "geohash", "parsehex",
    # not in the pages we compiled from, but used by working app dashboards in the corpus (100s of times)
    "frommillis", "tomillis", "fromseconds", "int", "long", "number", "jsonarraycontains",
})
