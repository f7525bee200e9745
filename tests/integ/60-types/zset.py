"""Sorted set commands: replies and error texts (side by side with Redis
7.0.15: every command, inf/-inf and exclusive bounds, LIMIT offsets,
negative ranks, empty-key deletion), RESP3 reply shapes, listpack and
skiplist encodings at both thresholds, WRONGTYPE from every command, dirty
counts, keyspace notifications, ZRANDMEMBER properties, ZSCAN, the
non-blocking paths of the blocking pops, generic key commands on sorted
sets, DEBUG DIGEST-VALUE across encodings, and (when Debian's redis-server
is installed) a seeded differential run against it in RESP2 and RESP3
comparing replies, encodings and DEBUG DIGEST after every command."""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import rhtest  # noqa: E402

E = rhtest.Error
SYNTAX = E("ERR syntax error")
NOT_INT = E("ERR value is not an integer or out of range")
WRONGTYPE = E("WRONGTYPE Operation against a key holding the wrong kind of value")
NOT_FLOAT_RANGE = E("ERR min or max is not a float")
NOT_LEX_RANGE = E("ERR min or max not valid string range item")
NOT_VALID_FLOAT = E("ERR value is not a valid float")
POSITIVE = E("ERR value is out of range, must be positive")
CONFIG = "enable-debug-command yes\n"


def arity(cmd):
    return E("ERR wrong number of arguments for '%s' command" % cmd)


# (command, expected reply) in order, recorded from Redis 7.0.15. Replies
# that depend on random choices are left to the differential run.
CASES = [
    (('flushall',), 'OK'),
    (('zadd', 'z', '1', 'a', '2', 'b', '3', 'c'), 3),
    (('zadd', 'z', 'nx', 'xx', '1', 'a'),
     E('ERR XX and NX options at the same time are not compatible')),
    (('zadd', 'z', 'gt', 'lt', '1', 'a'),
     E('ERR GT, LT, and/or NX options at the same time are not compatible')),
    (('zadd', 'z', 'nx', 'gt', '1', 'a'),
     E('ERR GT, LT, and/or NX options at the same time are not compatible')),
    (('zadd', 'z', 'nx', 'lt', '1', 'a'),
     E('ERR GT, LT, and/or NX options at the same time are not compatible')),
    (('zadd', 'z', 'xx', 'gt', '1', 'a'), 0),
    (('zadd', 'z', 'incr', '1', 'a', '2', 'b'),
     E('ERR INCR option supports a single increment-element pair')),
    (('zadd', 'z', 'incr', '1', 'a'), b'2'),
    (('zadd', 'z', 'nx', 'incr', '1', 'a'), None),
    (('zadd', 'z', 'xx', 'incr', '1', 'zz'), None),
    (('zadd', 'z', 'gt', 'incr', '-10', 'a'), None),
    (('zadd', 'z', 'ch', '5', 'a', '9', 'new'), 2),
    (('zadd', 'z', '1', 'a', '2'), SYNTAX),
    (('zadd', 'z', 'x', 'a'), NOT_VALID_FLOAT),
    (('zadd', 'z', 'nan', 'a'), NOT_VALID_FLOAT),
    (('zadd', 'z', '1'), arity('zadd')),
    (('zadd', 'z'), arity('zadd')),
    (('zadd', 'z', 'ch'), arity('zadd')),
    (('zadd', 'z', '1', 'a', 'xx'), SYNTAX),
    (('zadd', 'z', 'inf', 'a'), 0),
    (('zadd', 'z', '-inf', 'b'), 0),
    (('zadd', 'z', '+inf', 'c'), 0),
    (('zadd', 'z', 'incr', 'inf', 'c'), b'inf'),
    (('zadd', 'z', 'incr', '-inf', 'c'), E('ERR resulting score is not a number (NaN)')),
    (('zincrby', 'z', '-inf', 'c'), E('ERR resulting score is not a number (NaN)')),
    (('zincrby', 'z', '1', 'nokey'), b'1'),
    (('zincrby', 'z', 'x', 'nokey'), NOT_VALID_FLOAT),
    (('zincrby', 'z', 'nan', 'nokey'), NOT_VALID_FLOAT),
    (('zscore', 'z', 'a'), b'inf'),
    (('zscore', 'z', 'nokey'), b'1'),
    (('zscore', 'nokey', 'a'), None),
    (('zmscore', 'z', 'a', 'b', 'nokey'), [b'inf', b'-inf', b'1']),
    (('zmscore', 'nokey', 'a', 'b'), [None, None]),
    (('zmscore', 'z'), arity('zmscore')),
    (('zcard', 'z'), 5),
    (('zcard', 'nokey'), 0),
    (('zrank', 'z', 'a'), 3),
    (('zrank', 'z', 'nokey'), 1),
    (('zrevrank', 'z', 'a'), 1),
    (('zrank', 'nokey', 'a'), None),
    (('zrange', 'z', '0', '-1'), [b'b', b'nokey', b'new', b'a', b'c']),
    (('zrange', 'z', '0', '-1', 'withscores'),
     [b'b', b'-inf', b'nokey', b'1', b'new', b'9', b'a', b'inf', b'c', b'inf']),
    (('zrange', 'z', '0', '-1', 'withscores', 'rev'),
     [b'c', b'inf', b'a', b'inf', b'new', b'9', b'nokey', b'1', b'b', b'-inf']),
    (('zrange', 'z', '-1', '-1', 'withscores'), [b'c', b'inf']),
    (('zrange', 'z', '5', '10'), []),
    (('zrange', 'z', '-100', '100'), [b'b', b'nokey', b'new', b'a', b'c']),
    (('zrange', 'z', '0', '-1', 'limit', '0', '1'),
     E('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX')),
    (('zrange', 'z', '-inf', '+inf', 'byscore', 'limit', '0', '1'), [b'b']),
    (('zrange', 'z', '-inf', '+inf', 'byscore', 'limit', '1', '-1', 'withscores'),
     [b'nokey', b'1', b'new', b'9', b'a', b'inf', b'c', b'inf']),
    (('zrange', 'z', '-inf', '+inf', 'byscore', 'limit', '-1', '1'), []),
    (('zrange', 'z', '+inf', '-inf', 'byscore', 'rev', 'limit', '1', '1', 'withscores'),
     [b'a', b'inf']),
    (('zrange', 'z', '-', '+', 'bylex'), [b'b', b'nokey', b'new', b'a', b'c']),
    (('zrange', 'z', '+', '-', 'bylex', 'rev'), [b'c', b'a', b'new', b'nokey', b'b']),
    (('zrange', 'z', 'x', 'y', 'byscore'), NOT_FLOAT_RANGE),
    (('zrange', 'z', 'a', 'b', 'bylex'), NOT_LEX_RANGE),
    (('zrange', 'z', '0', '1', 'byscore', 'bylex'), SYNTAX),
    (('zrange', 'z', '0', '1', 'foo'), SYNTAX),
    (('zrange', 'z', '0', '1', 'limit', '0'), SYNTAX),
    (('zrange', 'z', '0', '1', 'limit', 'x', '1'), NOT_INT),
    (('zrange', 'z', 'a', 'b'), NOT_INT),
    (('zrange', 'z', '0', '1', 'withscores', 'bylex'),
     E('ERR syntax error, WITHSCORES not supported in combination with BYLEX')),
    (('zrange', 'z', '[a', '[c', 'bylex', 'withscores'),
     E('ERR syntax error, WITHSCORES not supported in combination with BYLEX')),
    (('zrevrange', 'z', '0', '-1', 'withscores'),
     [b'c', b'inf', b'a', b'inf', b'new', b'9', b'nokey', b'1', b'b', b'-inf']),
    (('zrevrange', 'z', '0', '-1', 'byscore'), SYNTAX),
    (('zrangebyscore', 'z', '-inf', '+inf', 'withscores'),
     [b'b', b'-inf', b'nokey', b'1', b'new', b'9', b'a', b'inf', b'c', b'inf']),
    (('zrangebyscore', 'z', '-inf', '+inf', 'withscores', 'limit', '1', '2'),
     [b'nokey', b'1', b'new', b'9']),
    (('zrangebyscore', 'z', '(1', '+inf'), [b'new', b'a', b'c']),
    (('zrangebyscore', 'z', '(', '+inf'), [b'nokey', b'new', b'a', b'c']),
    (('zrangebyscore', 'z', '', '+inf'), [b'nokey', b'new', b'a', b'c']),
    (('zrangebyscore', 'z', ' 1', '+inf'), [b'nokey', b'new', b'a', b'c']),
    (('zrangebyscore', 'z', '0x10', '+inf'), [b'a', b'c']),
    (('zrangebyscore', 'z', 'nan', '+inf'), NOT_FLOAT_RANGE),
    (('zrangebyscore', 'z', '1', '2', 'rev'), SYNTAX),
    (('zrangebyscore', 'z', '1', '2', 'limit'), SYNTAX),
    (('zrangebyscore', 'z', '1', '2', 'withscores', 'withscores'), [b'nokey', b'1']),
    (('zrevrangebyscore', 'z', '+inf', '-inf', 'withscores'),
     [b'c', b'inf', b'a', b'inf', b'new', b'9', b'nokey', b'1', b'b', b'-inf']),
    (('zrevrangebyscore', 'z', '+inf', '-inf', 'limit', '0', '1'), [b'c']),
    (('zrangebylex', 'z', '-', '+'), [b'b', b'nokey', b'new', b'a', b'c']),
    (('zrangebylex', 'z', 'a', '+'), NOT_LEX_RANGE),
    (('zrangebylex', 'z', '[a', '(c'), [b'b']),
    (('zrangebylex', 'z', '+x', '-'), NOT_LEX_RANGE),
    (('zrangebylex', 'z', '-', '+', 'limit', '0', '1'), [b'b']),
    (('zrangebylex', 'z', '-', '+', 'withscores'),
     E('ERR syntax error, WITHSCORES not supported in combination with BYLEX')),
    (('zrevrangebylex', 'z', '+', '-'), [b'c', b'a', b'new', b'nokey', b'b']),
    (('zrevrangebylex', 'z', '[c', '[a', 'limit', '0', '1'), [b'c']),
    (('zcount', 'z', '-inf', '+inf'), 5),
    (('zcount', 'z', '(1', '(3'), 0),
    (('zcount', 'z', 'x', '1'), NOT_FLOAT_RANGE),
    (('zlexcount', 'z', '-', '+'), 5),
    (('zlexcount', 'z', '[a', 'x'), NOT_LEX_RANGE),
    (('zlexcount', 'nokey', '-', '+'), 0),
    (('zcount', 'nokey', 'x', 'y'), NOT_FLOAT_RANGE),
    (('flushall',), 'OK'),
    (('zadd', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'), 5),
    (('zpopmin', 'z'), [b'a', b'1']),
    (('zpopmax', 'z'), [b'e', b'5']),
    (('zpopmin', 'z', '0'), []),
    (('zpopmin', 'z', '-1'), POSITIVE),
    (('zpopmin', 'z', 'x'), POSITIVE),
    (('zpopmin', 'z', '1', '2'), SYNTAX),
    (('zpopmax', 'z', '2'), [b'd', b'4', b'c', b'3']),
    (('zpopmin', 'nokey'), []),
    (('zpopmin', 'nokey', '2'), []),
    (('zadd', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'), 4),
    (('zpopmin', 'z', '100'), [b'a', b'1', b'b', b'2', b'c', b'3', b'd', b'4', b'e', b'5']),
    (('exists', 'z'), 0),
    (('zadd', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'), 5),
    (('zadd', 'y', '1', 'x'), 1),
    (('zmpop', '1', 'z', 'min'), [b'z', [[b'a', b'1']]]),
    (('zmpop', '2', 'nokey', 'z', 'max', 'count', '2'), [b'z', [[b'e', b'5'], [b'd', b'4']]]),
    (('zmpop', '2', 'nokey', 'z', 'max', 'count', '0'), E('ERR count should be greater than 0')),
    (('zmpop', '2', 'nokey', 'z', 'max', 'count', '-1'), E('ERR count should be greater than 0')),
    (('zmpop', '2', 'nokey', 'z', 'max', 'count', 'x'), E('ERR count should be greater than 0')),
    (('zmpop', '2', 'nokey', 'z', 'foo'), SYNTAX),
    (('zmpop', '0', 'z', 'min'), E('ERR numkeys should be greater than 0')),
    (('zmpop', '-1', 'z', 'min'), E('ERR numkeys should be greater than 0')),
    (('zmpop', 'x', 'z', 'min'), E('ERR numkeys should be greater than 0')),
    (('zmpop', '3', 'z', 'min'), SYNTAX),
    (('zmpop', '1', 'z', 'min', 'count', '1', 'count', '2'), SYNTAX),
    (('zmpop', '1', 'z'), arity('zmpop')),
    (('zmpop', '1', 'nokey', 'min'), None),
    (('zmpop', '1', 'z', 'min', 'count'), SYNTAX),
    (('zmpop', '1', 'z', 'MAX', 'COUNT', '10'), [b'z', [[b'c', b'3'], [b'b', b'2']]]),
    (('exists', 'z'), 0),
    (('bzpopmin', 'y', 'x'), E('ERR timeout is not a float or out of range')),
    (('bzpopmin', 'y', '-1'), E('ERR timeout is negative')),
    (('bzpopmin', 'y', '0'), [b'y', b'x', b'1']),
    (('zadd', 'y', '1', 'x', '2', 'w'), 2),
    (('bzmpop', '0', '1', 'y', 'min', 'count', '5'), [b'y', [[b'x', b'1'], [b'w', b'2']]]),
    (('bzmpop', 'x', '1', 'y', 'min'), E('ERR timeout is not a float or out of range')),
    (('bzmpop', '0', '1', 'y'), arity('bzmpop')),
    (('zadd', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'), 5),
    (('zremrangebyrank', 'z', '0', '0'), 1),
    (('zremrangebyrank', 'z', '-1', '-1'), 1),
    (('zremrangebyrank', 'z', '5', '10'), 0),
    (('zremrangebyrank', 'z', 'x', '1'), NOT_INT),
    (('zremrangebyscore', 'z', '(2', '3'), 1),
    (('zremrangebyscore', 'z', 'x', '3'), NOT_FLOAT_RANGE),
    (('zremrangebylex', 'z', '-', '+'), 2),
    (('exists', 'z'), 0),
    (('zremrangebylex', 'z', 'x', 'y'), NOT_LEX_RANGE),
    (('zremrangebylex', 'nokey', '[a', '[b'), 0),
    (('zremrangebyscore', 'nokey', '1', '2'), 0),
    (('zremrangebyscore', 'nokey', 'x', '2'), NOT_FLOAT_RANGE),
    (('zremrangebyrank', 'nokey', '1', '2'), 0),
    (('zremrangebyrank', 'nokey', 'x', '2'), NOT_INT),
    (('zadd', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'), 5),
    (('zadd', 'z2', '10', 'a', '20', 'b', '30', 'x'), 3),
    (('sadd', 's', 'a', 'b', 'q'), 3),
    (('set', 'str', 'x'), 'OK'),
    (('zunion', '2', 'z', 'z2'), [b'c', b'd', b'e', b'a', b'b', b'x']),
    (('zunion', '2', 'z', 'z2', 'withscores'),
     [b'c', b'3', b'd', b'4', b'e', b'5', b'a', b'11', b'b', b'22', b'x', b'30']),
    (('zunion', '2', 'z', 'z2', 'weights', '2', '3', 'withscores'),
     [b'c', b'6', b'd', b'8', b'e', b'10', b'a', b'32', b'b', b'64', b'x', b'90']),
    (('zunion', '2', 'z', 'z2', 'weights', '2', 'withscores'),
     E('ERR weight value is not a float')),
    (('zunion', '2', 'z', 'z2', 'weights', '2', 'x', 'withscores'),
     E('ERR weight value is not a float')),
    (('zunion', '2', 'z', 'z2', 'aggregate', 'min', 'withscores'),
     [b'a', b'1', b'b', b'2', b'c', b'3', b'd', b'4', b'e', b'5', b'x', b'30']),
    (('zunion', '2', 'z', 'z2', 'aggregate', 'max', 'withscores'),
     [b'c', b'3', b'd', b'4', b'e', b'5', b'a', b'10', b'b', b'20', b'x', b'30']),
    (('zunion', '2', 'z', 'z2', 'aggregate', 'foo', 'withscores'), SYNTAX),
    (('zunion', '2', 'z', 'z2', 'aggregate'), SYNTAX),
    (('zunion', '3', 'z', 'z2', 's', 'withscores'),
     [b'q', b'1', b'c', b'3', b'd', b'4', b'e', b'5', b'a', b'12', b'b', b'23', b'x', b'30']),
    (('zunion', '1', 'nokey'), []),
    (('zunion', '0', 'z'), E("ERR at least 1 input key is needed for 'zunion' command")),
    (('zunion', '3', 'z', 'z2'), SYNTAX),
    (('zunion', '2', 'z', 'str'), WRONGTYPE),
    (('zunion', '2', 'nokey', 'str'), WRONGTYPE),
    (('zinter', '3', 'z', 'z2', 's', 'withscores'), [b'a', b'12', b'b', b'23']),
    (('zinter', '2', 'z', 'z2', 'withscores'), [b'a', b'11', b'b', b'22']),
    (('zinter', '2', 'z', 'nokey', 'withscores'), []),
    (('zinter', '2', 'z', 'z2', 'weights', '1', '0', 'aggregate', 'sum', 'withscores'),
     [b'a', b'1', b'b', b'2']),
    (('zdiff', '2', 'z', 'z2', 'withscores'), [b'c', b'3', b'd', b'4', b'e', b'5']),
    (('zdiff', '2', 'z', 'z2', 'weights', '1', '1'), SYNTAX),
    (('zdiff', '2', 'z', 'z2', 'aggregate', 'sum'), SYNTAX),
    (('zdiff', '1', 'nokey'), []),
    (('zdiff', '2', 'z', 's', 'withscores'), [b'c', b'3', b'd', b'4', b'e', b'5']),
    (('zdiff', '2', 's', 'z', 'withscores'), [b'q', b'1']),
    (('zunionstore', 'd', '2', 'z', 'z2'), 6),
    (('zrange', 'd', '0', '-1', 'withscores'),
     [b'c', b'3', b'd', b'4', b'e', b'5', b'a', b'11', b'b', b'22', b'x', b'30']),
    (('zunionstore', 'd', '2', 'z', 'z2', 'withscores'), SYNTAX),
    (('zinterstore', 'd', '2', 'z', 'z2', 'weights', '1', '2'), 2),
    (('zrange', 'd', '0', '-1', 'withscores'), [b'a', b'21', b'b', b'42']),
    (('zinterstore', 'd', '2', 'z', 'nokey'), 0),
    (('exists', 'd'), 0),
    (('zdiffstore', 'd', '2', 'z', 'z2'), 3),
    (('zrange', 'd', '0', '-1', 'withscores'), [b'c', b'3', b'd', b'4', b'e', b'5']),
    (('zdiffstore', 'd', '2', 'z', 'z'), 0),
    (('exists', 'd'), 0),
    (('zintercard', '2', 'z', 'z2'), 2),
    (('zintercard', '2', 'z', 'z2', 'limit', '1'), 1),
    (('zintercard', '2', 'z', 'z2', 'limit', '-1'), E("ERR LIMIT can't be negative")),
    (('zintercard', '2', 'z', 's'), 2),
    (('zintercard', '0', 'z'), E("ERR at least 1 input key is needed for 'zintercard' command")),
    (('zintercard', '3', 'z', 'z2'), SYNTAX),
    (('zintercard', '2', 'z', 'nokey'), 0),
    (('zintercard', '2', 'z', 'str'), WRONGTYPE),
    (('zintercard', '1', 'z', 'limit'), SYNTAX),
    (('zintercard', '1', 'z', 'foo'), SYNTAX),
    (('zrangestore', 'd', 'z', '0', '1'), 2),
    (('zrange', 'd', '0', '-1', 'withscores'), [b'a', b'1', b'b', b'2']),
    (('zrangestore', 'd', 'z', '0', '-1', 'byscore'), 0),
    (('exists', 'd'), 0),
    (('zrangestore', 'd', 'z', '(1', '3', 'byscore', 'limit', '0', '1'), 1),
    (('zrangestore', 'd', 'z', '[a', '[c', 'bylex', 'rev'), 0),
    (('zrangestore', 'd', 'z', '[c', '[a', 'bylex', 'rev'), 3),
    (('zrange', 'd', '0', '-1', 'withscores'), [b'a', b'1', b'b', b'2', b'c', b'3']),
    (('zrangestore', 'd', 'z', '0', '1', 'withscores'), SYNTAX),
    (('zrangestore', 'd', 'nokey', '0', '-1'), 0),
    (('zrangestore', 'd', 'str', '0', '-1'), WRONGTYPE),
    (('zrangestore', 'str', 'z', '0', '-1'), 5),
    (('type', 'str'), 'zset'),
    (('zscan', 'z', '0'), [b'0', [b'a', b'1', b'b', b'2', b'c', b'3', b'd', b'4', b'e', b'5']]),
    (('zscan', 'z', '0', 'match', 'a*'), [b'0', [b'a', b'1']]),
    (('zscan', 'z', '0', 'count', '0'), SYNTAX),
    (('zscan', 'z', 'x'), E('ERR invalid cursor')),
    (('zscan', 'nokey', '0'), [b'0', []]),
    (('zscan', 'z', '0', 'noscores'), SYNTAX),
    (('zrandmember', 'nokey'), None),
    (('zrandmember', 'nokey', '5'), []),
    (('zrandmember', 'z', '0'), []),
    (('zrandmember', 'z', '100'), [b'e', b'd', b'c', b'b', b'a']),
    (('zrandmember', 'z', '100', 'withscores'),
     [b'e', b'5', b'd', b'4', b'c', b'3', b'b', b'2', b'a', b'1']),
    (('zrandmember', 'z', 'x'), NOT_INT),
    (('zrandmember', 'z', '9223372036854775807', 'withscores'), E('ERR value is out of range')),
    (('zrandmember', 'z', '4611686018427387904', 'withscores'), E('ERR value is out of range')),
    (('zrandmember', 'z', '4611686018427387903', 'withscores'),
     [b'e', b'5', b'd', b'4', b'c', b'3', b'b', b'2', b'a', b'1']),
    (('flushall',), 'OK'),
    (('zadd', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'), 5),
    (('set', 'str', 'x'), 'OK'),
    (('zunion', '2', 'z', 'str', 'weights', 'x'), WRONGTYPE),
    (('zunion', '2', 'z', 'nokey', 'weights', 'x'), SYNTAX),
    (('zunionstore', 'str', '2', 'z', 'nokey', 'weights', 'x'), SYNTAX),
    (('zunionstore', 'str', '0', 'z'),
     E("ERR at least 1 input key is needed for 'zunionstore' command")),
    (('zinterstore', 'str', '-1', 'z'),
     E("ERR at least 1 input key is needed for 'zinterstore' command")),
    (('zdiffstore', 'str', '0', 'z'),
     E("ERR at least 1 input key is needed for 'zdiffstore' command")),
    (('zunion', '-1', 'z'), E("ERR at least 1 input key is needed for 'zunion' command")),
    (('zunion', 'x', 'z'), NOT_INT),
    (('zunion', '99999999999999', 'z'), SYNTAX),
    (('zrange', 'str', '0', '1', 'foo'), SYNTAX),
    (('zrange', 'str', 'x', '1'), NOT_INT),
    (('zrange', 'str', '0', '1', 'byscore'), WRONGTYPE),
    (('zrangebyscore', 'str', 'x', 'y'), NOT_FLOAT_RANGE),
    (('zrangebyscore', 'str', '1', '2', 'limit', 'x', 'y'), NOT_INT),
    (('zrangebylex', 'str', 'x', 'y'), NOT_LEX_RANGE),
    (('zcount', 'str', 'x', '1'), NOT_FLOAT_RANGE),
    (('zlexcount', 'str', 'x', '1'), NOT_LEX_RANGE),
    (('zremrangebyrank', 'str', 'x', '1'), NOT_INT),
    (('zremrangebyscore', 'str', 'x', '1'), NOT_FLOAT_RANGE),
    (('zremrangebylex', 'str', 'x', '1'), NOT_LEX_RANGE),
    (('zadd', 'str', 'x', 'a'), NOT_VALID_FLOAT),
    (('zadd', 'str', '1', 'a'), WRONGTYPE),
    (('zadd', 'str', 'xx', '1', 'a'), WRONGTYPE),
    (('zincrby', 'str', 'x', 'a'), NOT_VALID_FLOAT),
    (('zincrby', 'str', '1', 'a'), WRONGTYPE),
    (('zpopmin', 'str', 'x'), POSITIVE),
    (('zpopmin', 'str', '1'), WRONGTYPE),
    (('zmpop', '2', 'str', 'z', 'min', 'count', 'x'), E('ERR count should be greater than 0')),
    (('zmpop', '2', 'nokey', 'str', 'min'), WRONGTYPE),
    (('zmpop', '2', 'z', 'str', 'min'), [b'z', [[b'a', b'1']]]),
    (('zrandmember', 'str', 'x'), NOT_INT),
    (('zrandmember', 'str', '1'), WRONGTYPE),
    (('zscan', 'str', 'x'), E('ERR invalid cursor')),
    (('zscan', 'str', '0', 'count', '0'), WRONGTYPE),
    (('zrangestore', 'd', 'str', 'x', 'y', 'byscore'), NOT_FLOAT_RANGE),
    (('zrangestore', 'str', 'nokey', '0', '-1'), 0),
    (('exists', 'str'), 0),
    (('set', 'str', 'x'), 'OK'),
    (('zrangestore', 'd', 'nokey', 'x', 'y', 'byscore'), NOT_FLOAT_RANGE),
    (('zmscore', 'str', 'a'), WRONGTYPE),
    (('zrank', 'str', 'a'), WRONGTYPE),
    (('zrevrank', 'str', 'a'), WRONGTYPE),
    (('zscore', 'str', 'a'), WRONGTYPE),
    (('zcard', 'str'), WRONGTYPE),
    (('zrem', 'str', 'a'), WRONGTYPE),
    (('zintercard', '2', 'nokey', 'str'), WRONGTYPE),
    (('zintercard', '2', 'str', 'z', 'limit', '-1'), WRONGTYPE),
    (('zinterstore', 'd', '2', 'nokey', 'str'), WRONGTYPE),
    (('zdiff', '2', 'nokey', 'str'), WRONGTYPE),
    (('zadd', 'z', '1', 'a', '2', 'b', '3', 'c'), 1),
    (('zadd', 'z2', '10', 'a', '20', 'b', '30', 'x'), 3),
    (('zunion', '2', 'z', 'z2', 'weights', '1', '2', '3'), SYNTAX),
    (('zunion', '2', 'z', 'z2', 'weights', '1', '2', 'aggregate', 'sum', 'aggregate', 'max', 'withscores'),
     [b'c', b'3', b'd', b'4', b'e', b'5', b'a', b'20', b'b', b'40', b'x', b'60']),
    (('zunion', '2', 'z', 'z2', 'weights', '1', '2', 'weights', '3', '4', 'withscores'),
     [b'c', b'9', b'd', b'12', b'e', b'15', b'a', b'43', b'b', b'86', b'x', b'120']),
    (('zunion', '2', 'z', 'z2', 'withscores', 'withscores'),
     [b'c', b'3', b'd', b'4', b'e', b'5', b'a', b'11', b'b', b'22', b'x', b'30']),
    (('zunionstore', 'd', '2', 'z', 'z2', 'aggregate', 'sum', 'extra'), SYNTAX),
    (('zinter', '2', 'z', 'z2', 'weights', 'inf', '-inf', 'withscores'), [b'a', b'0', b'b', b'0']),
    (('zunion', '2', 'z', 'z2', 'weights', 'inf', '-inf', 'withscores'),
     [b'x', b'-inf', b'a', b'0', b'b', b'0', b'c', b'inf', b'd', b'inf', b'e', b'inf']),
    (('zunion', '2', 'z', 'z2', 'weights', '0', '0', 'withscores'),
     [b'a', b'0', b'b', b'0', b'c', b'0', b'd', b'0', b'e', b'0', b'x', b'0']),
    (('zadd', 'inf', 'inf', 'a', '-inf', 'b', '0', 'c'), 3),
    (('zunion', '2', 'inf', 'inf', 'weights', '1', '-1', 'withscores'),
     [b'a', b'0', b'b', b'0', b'c', b'0']),
    (('zunion', '2', 'inf', 'inf', 'weights', '0', '1', 'withscores'),
     [b'b', b'-inf', b'c', b'0', b'a', b'inf']),
    (('zunion', '2', 'inf', 'inf', 'aggregate', 'min', 'weights', '0', '-1', 'withscores'),
     [b'a', b'-inf', b'b', b'0', b'c', b'0']),
    (('zunion', '2', 'inf', 'inf', 'aggregate', 'max', 'weights', 'nan', '1', 'withscores'),
     E('ERR weight value is not a float')),
    (('zunion', '2', 'inf', 'inf', 'weights', '1e400', '1', 'withscores'),
     E('ERR weight value is not a float')),
    (('zunion', '2', 'inf', 'inf', 'weights', ' 1', '1', 'withscores'),
     E('ERR weight value is not a float')),
    (('zunion', '2', 'inf', 'inf', 'weights', '', '1', 'withscores'),
     E('ERR weight value is not a float')),
    (('zadd', 'f', '0.1', 'a', '1e-5', 'b', '123.456', 'c', '-0.000001', 'd', '1e300', 'e', '3.0000000000000004', 'f'),
     6),
    (('zrange', 'f', '0', '-1', 'withscores'),
     [b'd', b'-9.9999999999999995e-07', b'b', b'1.0000000000000001e-05', b'a', b'0.10000000000000001', b'f', b'3.0000000000000004', b'c', b'123.456', b'e', b'1.0000000000000001e+300']),
    (('zscore', 'f', 'a'), b'0.10000000000000001'),
    (('zincrby', 'f', '0.2', 'a'), b'0.30000000000000004'),
    (('zadd', 'neg', '-0', 'x'), 1),
    (('zscore', 'neg', 'x'), b'0'),
    (('zunion', '1', 'neg', 'weights', '-1', 'withscores'), [b'x', b'-0']),
    (('zincrby', 'neg', '-0', 'x'), b'0'),
    (('zadd', 'neg2', '-0.0', 'x'), 1),
    (('zadd', 'neg3', '0', 'a'), 1),
    (('zadd', 'neg3', '-0', 'a'), 0),
    (('zadd', 'neg3', 'incr', '-0', 'a'), b'0'),
    (('zscore', 'neg3', 'a'), b'0'),
    (('flushall',), 'OK'),
    (('zadd', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd', '5', 'e'), 5),
    (('zrange', 'z', '0', '-1', 'limit', '0', '-1'), [b'a', b'b', b'c', b'd', b'e']),
    (('zrange', 'z', '0', '-1', 'limit', '5', '-1'), [b'a', b'b', b'c', b'd', b'e']),
    (('zrange', 'z', '0', '-1', 'limit', '0', '-2'),
     E('ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX')),
    (('zrange', 'z', '0', '-1', 'rev', 'rev'), SYNTAX),
    (('zrange', 'z', '0', '-1', 'byscore', 'byscore'), SYNTAX),
    (('zrange', 'z', '(1', '(5', 'byscore', 'limit', '1', '1', 'limit', '0', '2'), [b'b', b'c']),
    (('zrange', 'z', '0', '-1', 'withscores', 'limit', '0', '-1', 'rev'),
     [b'e', b'5', b'd', b'4', b'c', b'3', b'b', b'2', b'a', b'1']),
    (('zrangebyscore', 'z', '-inf', '+inf', 'limit', '0'), SYNTAX),
    (('zrangebyscore', 'z', '-inf', '+inf', 'limit', '0', '1', '2'), SYNTAX),
    (('zrevrangebyscore', 'z', '1', '5'), []),
    (('zrevrangebyscore', 'z', '5', '1', 'withscores', 'limit', '1', '2'),
     [b'd', b'4', b'c', b'3']),
    (('zrevrangebylex', 'z', '-', '+'), []),
    (('zrevrangebylex', 'z', '+', '-', 'limit', '1', '1'), [b'd']),
    (('zrangebylex', 'z', '[a', '[c', 'limit', '-1', '5'), []),
    (('zrangebylex', 'z', '[a', '[c', 'limit', '1', '-5'), [b'b', b'c']),
    (('zrandmember', 'z', '-9223372036854775808'),
     E('ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807')),
    (('zrandmember', 'z', '-9223372036854775807', 'withscores'), E('ERR value is out of range')),
    (('zrandmember', 'z', '-4611686018427387904', 'withscores'), E('ERR value is out of range')),
    (('zrandmember', 'z', '1', '2', '3'), SYNTAX),
    (('zincrby', 'z', 'nx', 'a'), SYNTAX),
    (('zincrby', 'z', '1', 'a', 'b'), arity('zincrby')),
    (('zadd', 'z', 'nx', 'nx', '1', 'x'), 1),
    (('zadd', 'z', 'ch', 'ch', '1', 'x'), 0),
    (('zadd', 'z', 'XX', 'CH', 'INCR', '5', 'x'), b'6'),
    (('zadd', 'z', 'GT', 'CH', '10', 'x', '1', 'e', '100', 'new'), 2),
    (('zadd', 'z', 'LT', 'CH', '0', 'x', '100', 'e', '50', 'new2'), 2),
    (('zadd', 'z', 'incr', 'nan', 'a'), NOT_VALID_FLOAT),
    (('zadd', 'z', '1e400', 'a'), NOT_VALID_FLOAT),
    (('zadd', 'z', '-1e400', 'a'), NOT_VALID_FLOAT),
    (('zadd', 'z', '1e-400', 'a'), NOT_VALID_FLOAT),
    (('zadd', 'z', '0x10', 'hex'), 1),
    (('zadd', 'z', ' 1', 'sp'), NOT_VALID_FLOAT),
    (('zadd', 'z', '1 ', 'sp'), NOT_VALID_FLOAT),
    (('zadd', 'z', '', 'empty'), NOT_VALID_FLOAT),
    (('zadd', 'z', '+5', 'plus'), 1),
    (('zadd', 'z', '.5', 'dot'), 1),
    (('zadd', 'z', '5.', 'dot2'), 1),
    (('zadd', 'z', '-.5e1', 'e1'), 1),
    (('zadd', 'z', 'INF', 'caps'), 1),
    (('zadd', 'z', '-Infinity', 'caps2'), 1),
    (('zadd', 'z', '+inf', 'caps3'), 1),
    (('zrange', 'z', '0', '-1', 'withscores'),
     [b'caps2', b'-inf', b'e1', b'-5', b'x', b'0', b'dot', b'0.5', b'a', b'1', b'b', b'2', b'c', b'3', b'd', b'4', b'dot2', b'5', b'e', b'5', b'plus', b'5', b'hex', b'16', b'new2', b'50', b'new', b'100', b'caps', b'inf', b'caps3', b'inf']),
    (('zscore', 'z', 'hex'), b'16'),
    (('zmscore', 'z', 'hex', 'plus', 'nokey', 'dot'), [b'16', b'5', None, b'0.5']),
    (('zrem', 'z'), arity('zrem')),
    (('zrem', 'z', 'nokey'), 0),
    (('zrem', 'z', 'a', 'a', 'a', 'b'), 2),
    (('zcard', 'z'), 14),
    (('zrank', 'z'), arity('zrank')),
    (('zrank', 'z', 'a', 'b'), arity('zrank')),
    (('zscore', 'z'), arity('zscore')),
    (('zrange', 'z', '0'), arity('zrange')),
    (('zrange', 'z'), arity('zrange')),
    (('zcount', 'z', '1'), arity('zcount')),
    (('zcount', 'z', '(1', '(1'), 0),
    (('zcount', 'z', '1', '1'), 0),
    (('zcount', 'z', '[1', '1'), NOT_FLOAT_RANGE),
    (('zcount', 'z', '((1', '1'), NOT_FLOAT_RANGE),
    (('zlexcount', 'z', '+', '-'), 0),
    (('zlexcount', 'z', '-', '-'), 0),
    (('zlexcount', 'z', '[', '('), 0),
    (('zremrangebyscore', 'z', '(100', '+inf'), 2),
    (('zremrangebyrank', 'z', '-1', '-100'), 0),
    (('zremrangebyrank', 'z', '100', '200'), 0),
    (('zremrangebyrank', 'z', '0', '-1000'), 0),
    (('zremrangebylex', 'z', '[zzz', '+'), 0),
    (('zpopmax', 'z', '-0'), POSITIVE),
    (('zpopmax', 'z', '00'), POSITIVE),
    (('zpopmax', 'z', '1.5'), POSITIVE),
    (('zpopmax', 'z', '9223372036854775807'),
     [b'new', b'100', b'new2', b'50', b'hex', b'16', b'plus', b'5', b'e', b'5', b'dot2', b'5', b'd', b'4', b'c', b'3', b'dot', b'0.5', b'x', b'0', b'e1', b'-5', b'caps2', b'-inf']),
    (('exists', 'z'), 0),
    (('zmpop', '1', 'z', 'min', 'count', '9223372036854775807'), None),
    (('zmpop', '9223372036854775807', 'z', 'min'), SYNTAX),
    (('zmpop', '1', 'z', 'min', 'count', '1', 'foo'), SYNTAX),
    (('zmpop', '1', 'z', 'foo', 'count', '1'), SYNTAX),
    (('zmpop', '1', 'z', 'min', 'COUNT'), SYNTAX),
    (('bzmpop', '0', '0', 'z', 'min'), E('ERR numkeys should be greater than 0')),
    (('bzmpop', '0', 'x', 'z', 'min'), E('ERR numkeys should be greater than 0')),
    (('bzmpop', '0', '1', 'z', 'foo'), SYNTAX),
    (('bzmpop', '-1', '1', 'z', 'min'), E('ERR timeout is negative')),
    (('bzpopmin', 'z', 'nan'), E('ERR timeout is not a float or out of range')),
    (('zunionstore', 'd', '1', 'nokey'), 0),
    (('zunionstore', 'd', '1', 'nokey', 'weights', '2', 'aggregate', 'min'), 0),
    (('zunion', '1', 'z', 'weights', '1', 'weights', '2', 'withscores'), []),
    (('zunion', '2', 'z', 'z', 'withscores'), []),
    (('zunion', '2', 'z', 'z', 'aggregate', 'max', 'withscores'), []),
    (('zinter', '2', 'z', 'z', 'withscores'), []),
    (('zdiff', '2', 'z', 'z', 'withscores'), []),
    (('zdiff', '2', 'nokey', 'z'), []),
    (('zdiff', '1', 'z', 'withscores', 'withscores'), []),
    (('zdiffstore', 'd', '1', 'z', 'withscores'), SYNTAX),
    (('zinterstore', 'd', '1', 'z', 'weights', '0'), 0),
    (('zrange', 'd', '0', '-1', 'withscores'), []),
    (('zintercard', '1', 'z', 'limit', '0'), 0),
    (('zintercard', '1', 'z', 'limit', '3'), 0),
    (('zintercard', '1', 'z', 'limit', '1', 'limit', '2'), 0),
    (('zintercard', '2', 'z', 'z', 'limit', 'x'), E("ERR LIMIT can't be negative")),
    (('zintercard', '1', 'z', 'withscores'), SYNTAX),
    (('zinter', '1', 'z', 'aggregate'), SYNTAX),
    (('zinter', '1', 'z', 'weights'), SYNTAX),
    (('zunionstore', 'd', '1', 'z', 'weights'), SYNTAX),
    (('zscan', 'z', '0', 'count', '1'), [b'0', []]),
    (('zscan', 'z', '0', 'match', '*'), [b'0', []]),
    (('zscan', 'z', '0', 'match', 'x*', 'count', '100'), [b'0', []]),
    (('zscan', 'z', '0', 'count'), [b'0', []]),
    (('zscan', 'z', '0', 'match'), [b'0', []]),
    (('zscan', 'z', '0', 'foo', 'bar'), [b'0', []]),
    (('zscan', 'z', '-1'), [b'0', []]),
    (('zscan', 'z', '18446744073709551615'), [b'0', []]),
    (('zscan', 'z', '18446744073709551616'), E('ERR invalid cursor')),
]


def same(got, want):
    return got == want and isinstance(got, E) == isinstance(want, E)


def check_cases(t, c):
    c.cmd("FLUSHALL")
    for args, want in CASES:
        got = c.cmd(*args)
        if not t.ok(same(got, want), " ".join(args)[:100]):
            t.diag("got:  %r" % (got,))
            t.diag("want: %r" % (want,))


def reply_kind(conn, *args):
    """The RESP type bytes of a reply and of its first element, if any."""
    kind, val = conn.typed_cmd(*args)
    if isinstance(val, list) and val:
        return kind + val[0][0]
    return kind


# RESP3 reply types (the reply's and its first element's) from Redis 7.0.15.
RESP3_KINDS = [
    (("ZSCORE", "z", "a"), b","), (("ZSCORE", "z", "nope"), b"_"), (("ZSCORE", "nokey", "a"), b"_"),
    (("ZMSCORE", "z", "a", "nope"), b"*,"), (("ZINCRBY", "z", "0", "a"), b","),
    (("ZADD", "z", "INCR", "0", "a"), b","), (("ZADD", "z", "NX", "INCR", "0", "a"), b"_"),
    (("ZRANK", "z", "nope"), b"_"), (("ZRANGE", "z", "0", "-1"), b"*$"),
    (("ZRANGE", "z", "0", "-1", "WITHSCORES"), b"**"),
    (("ZRANGEBYSCORE", "z", "-inf", "inf", "WITHSCORES"), b"**"),
    (("ZREVRANGE", "z", "0", "-1", "WITHSCORES"), b"**"),
    (("ZUNION", "1", "z", "WITHSCORES"), b"**"), (("ZINTER", "1", "z"), b"*$"),
    (("ZDIFF", "1", "z", "WITHSCORES"), b"**"), (("ZRANDMEMBER", "z", "2", "WITHSCORES"), b"**"),
    (("ZRANDMEMBER", "z", "-2"), b"*$"), (("ZRANDMEMBER", "nokey"), b"_"),
    (("ZSCAN", "z", "0"), b"*$"), (("ZPOPMIN", "z"), b"*$"), (("ZPOPMIN", "z", "1"), b"**"),
    (("ZPOPMAX", "nokey"),
     b"*"), (("ZMPOP", "1", "z", "MIN"), b"*$"), (("ZMPOP", "1", "nokey", "MIN"), b"_"),
    (("BZPOPMIN", "z", "0"), b"*$"), (("BZMPOP", "0", "1", "z", "MAX"), b"*$"),
]


def check_resp3(t, srv):
    c = Typed(srv.port)
    c.typed_cmd("HELLO", "3")
    c.typed_cmd("FLUSHALL")
    c.typed_cmd("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f", "7", "g")
    for args, kind in RESP3_KINDS:
        t.is_(reply_kind(c, *args), kind, "RESP3 %s replies %r" % (" ".join(args), kind))
    c.typed_cmd("ZADD", "neg", "1", "x")
    t.is_(c.typed_cmd("ZUNION", "1", "neg", "WEIGHTS", "-1", "WITHSCORES"),
          (b"*", [(b"*", [(b"$", b"x"), (b",", b"-1")])]), "RESP3 [member, score] pairs")
    t.is_(c.typed_cmd("ZUNION", "1", "neg", "WEIGHTS", "0", "WITHSCORES"),
          (b"*", [(b"*", [(b"$", b"x"), (b",", b"0")])]), "RESP3 zero")
    c.typed_cmd("ZADD", "inf", "-inf", "a", "0.1", "b")
    t.is_(c.typed_cmd("ZSCORE", "inf", "a"), (b",", b"-inf"), "RESP3 -inf")
    t.is_(c.typed_cmd("ZSCORE", "inf", "b"), (b",", b"0.10000000000000001"),
          "RESP3 doubles have 17 digits, as in Redis 7.0")
    t.is_(c.typed_cmd("ZSCAN", "inf", "0"),
          (b"*", [(b"$", b"0"), (b"*", [(b"$", b"a"), (b"$", b"-inf"), (b"$", b"b"),
                                       (b"$", b"0.10000000000000001")])]),
          "RESP3 ZSCAN scores are strings")
    c.close()


def encoding(c, key):
    return c.cmd("OBJECT", "ENCODING", key)


def check_encodings(t, c):
    c.cmd("FLUSHALL")
    args = []
    for i in range(128):
        args += [str(i), "m%d" % i]
    c.cmd("ZADD", "z", *args)
    t.is_(encoding(c, "z"), b"listpack", "128 members: listpack")
    c.cmd("ZADD", "z", "1000", "m128")
    t.is_(encoding(c, "z"), b"skiplist", "the 129th member converts")
    c.cmd("ZREMRANGEBYRANK", "z", "0", "-3")
    t.is_(encoding(c, "z"), b"skiplist", "a skiplist never turns back into a listpack")
    c.cmd("ZADD", "v", "1", "x" * 64)
    t.is_(encoding(c, "v"), b"listpack", "a 64-byte member fits a listpack")
    c.cmd("ZADD", "v", "1", "y" * 65)
    t.is_(encoding(c, "v"), b"skiplist", "a 65-byte member converts")
    c.cmd("ZADD", "w", "1", "y" * 65)
    t.is_(encoding(c, "w"), b"skiplist", "created for a 65-byte member: skiplist")
    c.cmd("ZADD", "dup", *(["1", "a"] * 200))
    t.is_(encoding(c, "dup"), b"listpack", "200 pairs of one member stay a listpack")
    c.cmd("ZUNIONSTORE", "u", "1", "z")
    t.is_(encoding(c, "u"), b"listpack", "ZUNIONSTORE of a small skiplist builds a listpack")
    c.cmd("ZRANGESTORE", "r", "z", "0", "-1")
    t.is_(encoding(c, "r"), b"listpack", "ZRANGESTORE result fits a listpack")
    c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "3")
    c.cmd("ZADD", "t", "1", "a", "2", "b", "3", "c")
    t.is_(encoding(c, "t"), b"listpack", "threshold 3: three members")
    c.cmd("ZADD", "t", "4", "d")
    t.is_(encoding(c, "t"), b"skiplist", "threshold 3: the fourth converts")
    c.cmd("ZINTERSTORE", "u", "1", "t")
    t.is_(encoding(c, "u"), b"skiplist", "ZINTERSTORE of 4 with threshold 3")
    c.cmd("ZRANGESTORE", "r", "t", "0", "2")
    t.is_(encoding(c, "r"), b"listpack", "ZRANGESTORE of 3 with threshold 3")
    c.cmd("ZRANGESTORE", "r", "t", "-inf", "inf", "BYSCORE")
    t.is_(encoding(c, "r"), b"skiplist", "ZRANGESTORE BYSCORE of 4 with threshold 3")
    c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "0")
    c.cmd("ZADD", "zero", "1", "a")
    t.is_(encoding(c, "zero"), b"skiplist", "threshold 0: always a skiplist")
    c.cmd("ZDIFFSTORE", "u", "1", "zero")
    t.is_(encoding(c, "u"), b"skiplist", "ZDIFFSTORE with threshold 0")
    c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "128")
    c.cmd("CONFIG", "SET", "zset-max-listpack-value", "3")
    c.cmd("ZADD", "q", "1", "abc")
    t.is_(encoding(c, "q"), b"listpack", "value threshold 3: 3 bytes fit")
    c.cmd("ZADD", "q", "1", "abcd")
    t.is_(encoding(c, "q"), b"skiplist", "value threshold 3: 4 bytes convert")
    c.cmd("CONFIG", "SET", "zset-max-listpack-value", "64")
    c.cmd("ZADD", "n", "-0", "x")
    t.is_(c.cmd("ZSCORE", "n", "x"), b"0", "a listpack stores -0 as 0")
    c.cmd("ZUNIONSTORE", "n2", "1", "n", "WEIGHTS", "-1")
    t.is_(c.cmd("ZSCORE", "n2", "x"), b"0", "stored results too")
    t.is_(c.cmd("ZUNION", "1", "n", "WEIGHTS", "-1", "WITHSCORES"), [b"x", b"-0"],
          "replied results keep -0")
    c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "0")
    c.cmd("ZADD", "n3", "-0", "x")
    c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "128")
    t.is_(c.cmd("ZSCORE", "n3", "x"), b"-0", "a skiplist keeps -0")


WRONGTYPE_CMDS = [
    ("ZADD", "str", "1", "a"), ("ZINCRBY", "str", "1", "a"), ("ZREM", "str", "a"), ("ZCARD", "str"),
    ("ZSCORE", "str", "a"), ("ZMSCORE", "str", "a"), ("ZRANK", "str", "a"),
    ("ZREVRANK", "str", "a"), ("ZRANGE", "str", "0", "1"), ("ZRANGE", "str", "0", "1", "BYSCORE"),
    ("ZRANGE", "str", "-", "+", "BYLEX"), ("ZREVRANGE", "str", "0", "1"),
    ("ZRANGEBYSCORE", "str", "0", "1"), ("ZREVRANGEBYSCORE", "str", "1", "0"),
    ("ZRANGEBYLEX", "str", "-", "+"), ("ZREVRANGEBYLEX", "str", "+", "-"),
    ("ZRANGESTORE", "d", "str", "0", "1"), ("ZCOUNT", "str", "0", "1"),
    ("ZLEXCOUNT", "str", "-", "+"),
    ("ZREMRANGEBYRANK", "str", "0", "1"), ("ZREMRANGEBYSCORE", "str", "0", "1"),
    ("ZREMRANGEBYLEX", "str", "-", "+"), ("ZPOPMIN", "str"), ("ZPOPMAX", "str", "0"),
    ("ZMPOP", "2", "nokey", "str", "MIN"), ("BZPOPMIN", "nokey", "str", "0"),
    ("BZPOPMAX", "str", "0"),
    ("BZMPOP", "0", "1", "str", "MAX"), ("ZRANDMEMBER", "str"), ("ZRANDMEMBER", "str", "2"),
    ("ZUNION", "2", "z", "str"), ("ZINTER", "2", "nokey", "str"), ("ZDIFF", "2", "nokey", "str"),
    ("ZUNIONSTORE", "d", "2", "z", "str"), ("ZINTERSTORE", "d", "1", "str"),
    ("ZDIFFSTORE", "d", "1", "str"),
    ("ZINTERCARD", "2", "nokey", "str"), ("ZSCAN", "str", "0"),
    ("ZUNION", "1", "list"), ("ZINTERSTORE", "d", "2", "z", "list"),
]


def check_wrongtype(t, c):
    c.cmd("FLUSHALL")
    c.cmd("SET", "str", "x")
    c.cmd("ZADD", "z", "1", "a")
    c.cmd("HSET", "list", "f", "v")
    for args in WRONGTYPE_CMDS:
        t.ok(same(c.cmd(*args), WRONGTYPE), "WRONGTYPE from %s" % " ".join(args))
    t.is_(c.cmd("ZMPOP", "2", "z", "str", "MIN"), [b"z", [[b"a", b"1"]]],
          "ZMPOP stops at the first key that has members")
    c.cmd("ZADD", "z", "1", "a")
    t.is_(c.cmd("ZUNIONSTORE", "str", "1", "z"), 1, "ZUNIONSTORE overwrites another type")
    t.is_(c.cmd("TYPE", "str"), "zset", "now a sorted set")
    t.is_(c.cmd("GET", "str"), WRONGTYPE, "GET of a sorted set")
    c.cmd("SET", "str", "x")
    t.is_(c.cmd("ZRANGESTORE", "str", "nokey", "0", "-1"), 0, "an empty ZRANGESTORE result")
    t.is_(c.cmd("EXISTS", "str"), 0, "deletes a destination of another type")


DIRTY = [
    (('ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'), 3),
    (('ZADD', 'z', '1', 'a'), 0),
    (('ZADD', 'z', '5', 'a', '6', 'd'), 2),
    (('ZADD', 'z', 'XX', '7', 'a', '1', 'nope'), 1),
    (('ZADD', 'z', 'NX', '7', 'a', '1', 'e'), 1),
    (('ZADD', 'z', 'GT', 'CH', '1', 'a', '9', 'b'), 1),
    (('ZINCRBY', 'z', '1', 'a'), 1),
    (('ZINCRBY', 'z', '0', 'a'), 0),
    (('ZADD', 'z', 'INCR', '0', 'a'), 0),
    (('ZREM', 'z', 'a', 'x'), 1),
    (('ZREM', 'z', 'x'), 0),
    (('ZREMRANGEBYRANK', 'z', '0', '0'), 1),
    (('ZREMRANGEBYSCORE', 'z', '100', '200'), 0),
    (('ZREMRANGEBYSCORE', 'z', '-inf', '3'), 1),
    (('ZADD', 'l', '0', 'a', '0', 'b', '0', 'c'), 3),
    (('ZREMRANGEBYLEX', 'l', '[a', '[b'), 2),
    (('ZPOPMIN', 'l'), 1),
    (('ZPOPMIN', 'l', '5'), 0),
    (('ZADD', 'p', '1', 'a', '2', 'b', '3', 'c'), 3),
    (('ZPOPMAX', 'p', '2'), 2),
    (('ZPOPMAX', 'p', '0'), 0),
    (('ZMPOP', '1', 'p', 'MIN', 'COUNT', '5'), 1),
    (('ZADD', 'p', '1', 'a', '2', 'b', '3', 'c'), 3),
    (('BZPOPMIN', 'p', '0'), 1),
    (('BZMPOP', '0', '1', 'p', 'MAX', 'COUNT', '9'), 2),
    (('ZADD', 's', '1', 'a', '2', 'b'), 2),
    (('ZUNIONSTORE', 'd', '1', 's'), 1),
    (('ZINTERSTORE', 'd', '2', 's', 'nokey'), 1),
    (('ZINTERSTORE', 'd', '2', 's', 'nokey'), 0),
    (('ZDIFFSTORE', 'd', '1', 's'), 1),
    (('ZRANGESTORE', 'd', 's', '0', '0'), 1),
    (('ZRANGESTORE', 'd', 's', '5', '6'), 1),
    (('ZRANGESTORE', 'd', 's', '5', '6'), 0),
    (('ZRANGE', 's', '0', '-1'), 0),
    (('ZUNION', '1', 's'), 0),
    (('ZRANDMEMBER', 's', '2'), 0),
    (('ZSCORE', 's', 'a'), 0),
]


def dirty(c):
    for line in c.cmd("INFO", "persistence").decode().splitlines():
        if line.startswith("rdb_changes_since_last_save:"):
            return int(line.split(":")[1])
    return None


def check_dirty(t, c):
    c.cmd("FLUSHALL")
    for args, want in DIRTY:
        before = dirty(c)
        c.cmd(*args)
        t.is_(dirty(c) - before, want, "dirty delta of %s" % " ".join(args))


# (command, keyevent notifications it publishes), from Redis 7.0.15.
NOTIFICATIONS = [
    (("ZADD", "z", "1", "a", "2", "b"), [("zadd", "z")]), (("ZADD", "z", "1", "a"), []),
    (("ZADD", "z", "XX", "5", "nope"), []), (("ZADD", "n", "XX", "5", "nope"), []),
    (("ZINCRBY", "z", "1", "a"),
     [("zincr", "z")]), (("ZADD", "z", "INCR", "1", "a"), [("zincr", "z")]),
    (("ZADD", "z", "NX", "INCR", "1", "a"), []), (("ZINCRBY", "z", "0", "a"), []),
    (("ZREM", "z", "a"), [("zrem", "z")]), (("ZREM", "z", "x"), []),
    (("ZREM", "z", "b"), [("zrem", "z"), ("del", "z")]),
    (("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"), [("zadd", "z")]),
    (("ZREMRANGEBYRANK", "z", "0", "0"), [("zremrangebyrank", "z")]),
    (("ZREMRANGEBYSCORE", "z", "2", "2"), [("zremrangebyscore", "z")]),
    (("ZREMRANGEBYSCORE", "z", "9", "9"), []),
    (("ZREMRANGEBYLEX", "z", "-", "+"), [("zremrangebylex", "z"), ("del", "z")]),
    (("ZADD", "p", "1", "a", "2", "b", "3", "c"), [("zadd", "p")]),
    (("ZPOPMIN", "p"),
     [("zpopmin", "p")]), (("ZPOPMAX", "p", "5"), [("zpopmax", "p"), ("del", "p")]),
    (("ZPOPMIN", "nokey"), []), (("ZADD", "p", "1", "a", "2", "b", "3", "c"), [("zadd", "p")]),
    (("ZMPOP", "2", "nokey", "p", "MAX"),
     [("zpopmax", "p")]), (("BZPOPMIN", "p", "0"), [("zpopmin", "p")]),
    (("BZMPOP", "0", "1", "p", "MIN", "COUNT", "3"), [("zpopmin", "p"), ("del", "p")]),
    (("ZADD", "s", "1", "a", "2", "b"), [("zadd", "s")]),
    (("ZUNIONSTORE", "d", "1", "s"), [("zunionstore", "d")]),
    (("ZINTERSTORE", "d", "2", "s", "s"), [("zinterstore", "d")]),
    (("ZDIFFSTORE", "d", "2", "s", "s"), [("del", "d")]), (("ZDIFFSTORE", "d", "2", "s", "s"), []),
    (("ZRANGESTORE", "d", "s", "0", "0"), [("zrangestore", "d")]),
    (("ZRANGESTORE", "d", "s", "5", "6"), [("del", "d")]), (("ZUNIONSTORE", "d", "1", "nokey"), []),
    (("ZRANGE", "s", "0", "-1"),
     []), (("ZPOPMIN", "s", "0"), []), (("ZREMRANGEBYRANK", "s", "5", "9"), []),
    (("DEL", "s"), [("del", "s")]),
]


def check_notifications(t, srv):
    rhtest.check_keyevents(t, srv, NOTIFICATIONS, "sorted set commands")


def chi_square(values, buckets):
    counts = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    expected = len(values) / buckets
    return sum((counts.get(k, 0) - expected) ** 2 / expected for k in set(counts)) + \
        expected * (buckets - len(counts))


def check_random(t, c):
    """ZRANDMEMBER: sizes, distinctness, scores and a fair spread."""
    c.cmd("FLUSHALL")
    for enc, n in (("listpack", 100), ("skiplist", 300)):
        args = []
        for i in range(n):
            args += [str(i), "m%d" % i]
        c.cmd("ZADD", enc, *args)
        t.is_(encoding(c, enc), enc.encode(), "%s: encoding" % enc)
        full = set(b"m%d" % i for i in range(n))
        good = True
        for count in (1, 2, 10, n // 3, n // 3 + 1, n // 2, n - 1, n, n + 50):
            got = c.cmd("ZRANDMEMBER", enc, count)
            good &= len(got) == min(count, n) and len(set(got)) == len(got) and set(got) <= full
        t.ok(good, "%s: ZRANDMEMBER positive counts give distinct members" % enc)
        got = c.cmd("ZRANDMEMBER", enc, "-500", "WITHSCORES")
        pairs = list(zip(got[::2], got[1::2]))
        t.ok(len(pairs) == 500 and all(m == b"m" + s for m, s in pairs) and
             len(set(pairs)) < 500, "%s: negative count repeats, scores match" % enc)
        got = c.cmd("ZRANDMEMBER", enc, str(-50 * n))
        t.ok(chi_square(got, n) < 2 * n, "%s: ZRANDMEMBER -%d spreads evenly" % (enc, 50 * n))
        picks = []
        for _ in range(250):
            picks.extend(c.cmd("ZRANDMEMBER", enc, "20"))
        t.ok(chi_square(picks, n) < 2 * n, "%s: ZRANDMEMBER 20 spreads evenly" % enc)
        t.ok(c.cmd("ZRANDMEMBER", enc) in full, "%s: one random member" % enc)
        got = c.cmd("ZRANDMEMBER", enc, n)
        t.is_(got, [b"m%d" % i for i in reversed(range(n))],
              "%s: asking for all gives the set highest first" % enc)


def check_zscan(t, c):
    c.cmd("FLUSHALL")
    members = ["member:%d" % i for i in range(2000)]
    for i in range(0, 2000, 500):
        args = []
        for j in range(i, i + 500):
            args += [str(j / 4), members[j]]
        c.cmd("ZADD", "big", *args)
    for opts, want in (((), set(members)), (("COUNT", "100"), set(members)),
                       (("MATCH", "member:1?"), set("member:1%d" % i for i in range(10)))):
        cursor, seen, calls = b"0", {}, 0
        while True:
            cursor, found = c.cmd("ZSCAN", "big", cursor, *opts)
            for m, s in zip(found[::2], found[1::2]):
                seen[m.decode()] = s
            calls += 1
            if cursor == b"0" or calls > 5000:
                break
        good = set(seen) == want and all(
            float(s) == int(m.split(":")[1]) / 4 for m, s in seen.items())
        t.ok(good and calls > 1, "ZSCAN %s visits every member with its score (%d calls)"
             % (" ".join(opts) or "(no options)", calls))
    cursor, found = c.cmd("ZSCAN", "big", "0", "COUNT", "10")
    t.ok(cursor != b"0" and 2 <= len(found) <= 80, "ZSCAN steps are bounded by COUNT")
    c.cmd("ZADD", "small", "1e17", "a", "2.5", "b")
    t.is_(c.cmd("ZSCAN", "small", "0"), [b"0", [b"b", b"2.5", b"a", b"100000000000000000"]],
          "ZSCAN of a listpack shows scores as stored")
    c.cmd("ZADD", "sk", "1e17", "a", *(sum((["1", "m%d" % i] for i in range(200)), [])))
    cursor, pairs, calls = b"0", {}, 0
    while True:
        cursor, found = c.cmd("ZSCAN", "sk", cursor, "COUNT", "1000")
        pairs.update(zip(found[::2], found[1::2]))
        calls += 1
        if cursor == b"0" or calls > 100:
            break
    t.is_((len(pairs), pairs.get(b"a")), (201, b"1e+17"), "ZSCAN of a skiplist formats scores")


def check_blocking_paths(t, srv):
    """The blocking pops when a key has members, or when they may not block."""
    c = srv.raw()
    c.cmd("FLUSHALL")
    c.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c")
    t.is_(c.cmd("BZPOPMIN", "nokey", "z", "0"), [b"z", b"a", b"1"], "BZPOPMIN serves at once")
    t.is_(c.cmd("BZPOPMAX", "z", "0"), [b"z", b"c", b"3"], "BZPOPMAX serves at once")
    t.is_(c.cmd("BZMPOP", "0", "2", "nokey", "z", "MIN", "COUNT", "5"), [b"z", [[b"b", b"2"]]],
          "BZMPOP serves at once and deletes the emptied key")
    t.is_(c.cmd("EXISTS", "z"), 0, "key gone")
    c.cmd("MULTI")
    c.cmd("BZPOPMIN", "z", "0")
    c.cmd("BZMPOP", "0", "1", "z", "MIN")
    c.cmd("ZADD", "z", "1", "a")
    c.cmd("BZPOPMAX", "z", "0")
    t.is_(c.cmd("EXEC"), [None, None, 1, [b"z", b"a", b"1"]],
          "inside MULTI an empty key answers at once with a null array")
    t.is_(c.cmd("BZPOPMIN", "z", "0.01"), None, "a short timeout gives a null array")
    c.cmd("HELLO", "3")
    t.is_(c.cmd("BZMPOP", "0.01", "1", "z", "MIN"), None, "RESP3: null on timeout")
    c.close()


def check_ttls_and_keys(t, c):
    c.cmd("FLUSHALL")
    c.cmd("ZADD", "z", "1", "a", "2", "b", "3", "c")
    c.cmd("ZADD", "d", "1", "x")
    c.cmd("EXPIRE", "d", "100")
    c.cmd("ZUNIONSTORE", "d", "1", "z")
    t.is_(c.cmd("TTL", "d"), -1, "ZUNIONSTORE drops the destination's TTL")
    c.cmd("EXPIRE", "d", "100")
    c.cmd("ZRANGESTORE", "d", "z", "0", "0")
    t.is_(c.cmd("TTL", "d"), -1, "ZRANGESTORE drops the destination's TTL")
    c.cmd("EXPIRE", "z", "100")
    c.cmd("ZADD", "z", "4", "d")
    c.cmd("ZPOPMIN", "z")
    t.ok(c.cmd("TTL", "z") > 0, "ZADD and ZPOPMIN keep the TTL")
    t.is_(c.cmd("TYPE", "z"), "zset", "TYPE zset")
    c.cmd("SADD", "s", "x")
    t.is_(sorted(c.cmd("SCAN", "0", "TYPE", "zset", "COUNT", "100")[1]), [b"d", b"z"],
          "SCAN TYPE zset")
    for enc in ("listpack", "skiplist"):
        if enc == "skiplist":
            c.cmd("ZADD", "z", *(sum((["1000", "m%d" % i] for i in range(200)), [])))
        t.is_(c.cmd("COPY", "z", "z2", "REPLACE"), 1, "%s: COPY" % enc)
        t.is_(encoding(c, "z2"), enc.encode(), "%s: copy keeps the encoding" % enc)
        t.is_(c.cmd("ZRANGE", "z2", "0", "-1", "WITHSCORES"),
              c.cmd("ZRANGE", "z", "0", "-1", "WITHSCORES"), "%s: copy has the elements" % enc)
        c.cmd("ZADD", "z2", "5", "new")
        t.is_(c.cmd("ZSCORE", "z", "new"), None, "%s: copy is independent" % enc)
        t.is_(c.cmd("DEBUG", "DIGEST-VALUE", "z2"), c.cmd("DEBUG", "DIGEST-VALUE", "z2"),
              "%s: digest is stable" % enc)
        c.cmd("ZREM", "z2", "new")
        t.is_(c.cmd("DEBUG", "DIGEST-VALUE", "z2"), c.cmd("DEBUG", "DIGEST-VALUE", "z"),
              "%s: equal content, equal digest" % enc)
        t.ok(isinstance(c.cmd("MEMORY", "USAGE", "z"), int), "%s: MEMORY USAGE" % enc)
        t.ok(isinstance(c.cmd("MEMORY", "USAGE", "z", "SAMPLES", "0"), int),
             "%s: MEMORY USAGE SAMPLES 0" % enc)
    c.cmd("RENAME", "z2", "z3")
    t.is_(c.cmd("ZCARD", "z3"), 203, "RENAME a sorted set")
    t.is_(c.cmd("MOVE", "z3", "1"), 1, "MOVE a sorted set")
    c.cmd("SELECT", "1")
    t.is_(c.cmd("ZCARD", "z3"), 203, "moved set is whole")
    c.cmd("SELECT", "0")
    c.cmd("ZADD", "x1", "1", "b", "2", "a", "1.5", "1")
    c.cmd("ZADD", "x2", "2", "a", "1.5", "1", "1", "b")
    t.is_(c.cmd("DEBUG", "DIGEST-VALUE", "x1"), c.cmd("DEBUG", "DIGEST-VALUE", "x2"),
          "digest ignores insertion order")
    c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "0")
    c.cmd("ZADD", "x3", "2", "a", "1.5", "1", "1", "b")
    c.cmd("CONFIG", "SET", "zset-max-listpack-entries", "128")
    t.is_(encoding(c, "x3"), b"skiplist", "x3 is a skiplist")
    t.is_(c.cmd("DEBUG", "DIGEST-VALUE", "x3"), c.cmd("DEBUG", "DIGEST-VALUE", "x1"),
          "digest ignores the encoding")


# ---- differential run against the reference -------------------------------

class Typed(rhtest.RawConn):
    """Replies as (type byte, value) trees, so RESP types are compared too."""

    def typed(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"$", b"="):
            n = int(rest)
            return (kind, None if n < 0 else self._exact(n))
        if kind in (b"*", b"~", b"%", b">"):
            n = int(rest)
            if n < 0:
                return (kind, None)
            n *= 2 if kind == b"%" else 1
            return (kind, [self.typed() for _ in range(n)])
        return (kind, rest)

    def typed_cmd(self, *args):
        self.send(rhtest.encode(*args))
        return self.typed()


def canonical(args, rep):
    """Makes replies whose order or choice is random comparable."""
    cmd = args[0].upper()
    kind, val = rep
    if cmd == "ZSCAN" and isinstance(val, list) and len(val) == 2:
        items = val[1][1]
        return (kind, [val[0], sorted(zip(items[::2], items[1::2]))])
    if cmd == "ZRANDMEMBER" and isinstance(val, list):
        return (kind, len(val))
    if cmd == "ZRANDMEMBER" and kind == b"$":
        return (kind, "member")
    return rep


SCORES = ["0", "1", "-1", "2", "2.5", "-2.5", "10", "0.1", "1e17", "5e18", "inf", "-inf", "-0",
          "3.0000000000000004", "1e-320", "-5000"]
BOUNDS = ["-inf", "+inf", "inf", "0", "(0", "1", "(1", "2.5", "(2.5", "10", "(10", "-0", "(-1",
          "1e17", "(inf"]
LEX = ["-", "+", "[a", "(a", "[c", "(c", "[", "(", "[aa", "(d", "[e", "[h"]


def random_member(rng):
    r = rng.random()
    if r < 0.4:
        return str(rng.randint(-3, 12))
    if r < 0.45:
        return rng.choice(["", "007", "-0", "9223372036854775807", "x" * 70])
    return rng.choice("abcdefgh") * rng.randint(1, 2)


def random_score(rng):
    if rng.random() < 0.02:
        return rng.choice(["nan", "x", ""])
    return rng.choice(SCORES)


def random_pairs(rng, n):
    out = []
    for _ in range(n):
        out += [random_score(rng), random_member(rng)]
    return out


def random_zadd(rng, k):
    opts = [o for o in ("NX", "XX", "GT", "LT", "CH", "INCR") if rng.random() < 0.15]
    return ["ZADD", k] + opts + random_pairs(rng, 1 if "INCR" in opts else rng.randint(1, 5))


def random_range(rng, k):
    """A ZRANGE-family command over any of the range kinds."""
    pick = rng.randrange(6)
    rev = rng.random() < 0.4
    ws = ["WITHSCORES"] if rng.random() < 0.5 else []
    limit = []
    if rng.random() < 0.4:
        limit = ["LIMIT", str(rng.randint(-1, 4)), str(rng.randint(-2, 5))]
    if pick == 0:
        return ["ZRANGE", k, str(rng.randint(-8, 8)), str(rng.randint(-8, 8))] + \
            (["REV"] if rev else []) + ws
    if pick == 1:
        return ["ZRANGE", k, rng.choice(BOUNDS), rng.choice(BOUNDS), "BYSCORE"] + \
            (["REV"] if rev else []) + ws + limit
    if pick == 2:
        return ["ZRANGE", "lx", rng.choice(LEX), rng.choice(LEX), "BYLEX"] + \
            (["REV"] if rev else []) + limit
    if pick == 3:
        return [rng.choice(["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]), k, rng.choice(BOUNDS),
                rng.choice(BOUNDS)] + ws + limit
    if pick == 4:
        return [rng.choice(["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), "lx", rng.choice(LEX),
                rng.choice(LEX)] + limit
    return ["ZREVRANGE", k, str(rng.randint(-8, 8)), str(rng.randint(-8, 8))] + ws


def random_setop(rng, keys, k):
    ks = rng.sample(keys + ["s0"], rng.randint(1, 3))
    opts = []
    if rng.random() < 0.4:
        opts += ["WEIGHTS"] + [rng.choice(["1", "2", "-1", "0", "0.5", "inf", "-inf"])
                               for _ in ks]
    if rng.random() < 0.4:
        opts += ["AGGREGATE", rng.choice(["SUM", "MIN", "MAX"])]
    pick = rng.randrange(7)
    if pick == 0:
        return ["ZUNION", len(ks)] + ks + opts + (["WITHSCORES"] if rng.random() < 0.5 else [])
    if pick == 1:
        return ["ZINTER", len(ks)] + ks + opts + (["WITHSCORES"] if rng.random() < 0.5 else [])
    if pick == 2:
        return ["ZDIFF", len(ks)] + ks + (["WITHSCORES"] if rng.random() < 0.5 else [])
    if pick == 3:
        return [rng.choice(["ZUNIONSTORE", "ZINTERSTORE"]), k, len(ks)] + ks + opts
    if pick == 4:
        return ["ZDIFFSTORE", k, len(ks)] + ks
    if pick == 5:
        return ["ZINTERCARD", len(ks)] + ks + (["LIMIT", str(rng.randint(0, 3))]
                                             if rng.random() < 0.5 else [])
    return ["ZRANGESTORE", k] + random_range(rng, rng.choice(keys))[1:] \
        if rng.random() < 0.5 else ["ZRANGESTORE", k, rng.choice(keys), "0", "-1"]


def random_pop(rng, keys, k):
    pick = rng.randrange(5)
    if pick == 0:
        return [rng.choice(["ZPOPMIN", "ZPOPMAX"]), k] + \
            rng.choice([[], ["0"], ["2"], ["9"], ["-1"]])
    if pick == 1:
        ks = rng.sample(keys, rng.randint(1, 3))
        return ["ZMPOP", len(ks)] + ks + [rng.choice(["MIN", "MAX"])] + \
            rng.choice([[], ["COUNT", "2"], ["COUNT", "0"]])
    if pick == 2:
        # A short timeout: an empty key makes both servers wait 10 ms.
        return rng.choice([[rng.choice(["BZPOPMIN", "BZPOPMAX"]), k, "0.01"],
                           ["BZMPOP", "0.01", "2", k, "z1", "MIN", "COUNT", "2"]])
    if pick == 3:
        return ["ZREMRANGEBYRANK", k, str(rng.randint(-5, 5)), str(rng.randint(-5, 5))]
    return ["ZREMRANGEBYSCORE", k, rng.choice(BOUNDS), rng.choice(BOUNDS)]


def random_command(rng, keys):
    k = rng.choice(keys)
    m = lambda: random_member(rng)  # noqa: E731
    pick = rng.randrange(20)
    if pick < 5:
        return random_zadd(rng, k)
    if pick == 5:
        return ["ZADD", "lx"] + sum((["0", m()] for _ in range(rng.randint(1, 4))), [])
    if pick == 6:
        return ["ZINCRBY", k, random_score(rng), m()]
    if pick == 7:
        return ["ZREM", k] + [m() for _ in range(rng.randint(1, 4))]
    if pick == 8:
        return rng.choice([["ZSCORE", k, m()], ["ZMSCORE", k, m(), m()], ["ZCARD", k],
                           ["ZRANK", k, m()], ["ZREVRANK", k, m()]])
    if pick in (9, 10):
        return random_range(rng, k)
    if pick == 11:
        return rng.choice([["ZCOUNT", k, rng.choice(BOUNDS), rng.choice(BOUNDS)],
                           ["ZLEXCOUNT", "lx", rng.choice(LEX), rng.choice(LEX)],
                           ["ZREMRANGEBYLEX", "lx", rng.choice(LEX), rng.choice(LEX)]])
    if pick in (12, 13):
        return random_setop(rng, keys, k)
    if pick == 14:
        return random_pop(rng, keys, k)
    if pick == 15:
        return ["ZRANDMEMBER", k] + \
            rng.choice([[], ["0"], ["2"], ["-3"], ["100"], ["100", "WITHSCORES"]])
    if pick == 16:
        return ["ZSCAN", k, "0", "COUNT", "1000"] + rng.choice([[], ["MATCH", "*a*"]])
    if pick == 17:
        return ["DEBUG", "DIGEST-VALUE"] + rng.sample(keys, 2)
    if pick == 18:
        return rng.choice([["OBJECT", "ENCODING", k], ["TYPE", k], ["EXISTS", k]])
    return ["EXPIRE", k, "100"]


def check_against_reference(t, ours):
    ref = rhtest.ref_server(config=CONFIG)
    if ref is None:
        t.skip("differential run", "no reference redis-server")
        return
    for proto in (2, 3):
        a, b = Typed(ref.port), Typed(ours.port)
        keys = ["z0", "z1", "z2", "str", "nokey"]
        for conn in (a, b):
            if proto == 3:
                conn.typed_cmd("HELLO", "3")
            conn.typed_cmd("FLUSHALL")
            conn.typed_cmd("SET", "str", "x")
            conn.typed_cmd("SADD", "s0", "a", "b", "1", "2", "zz")
        rng = random.Random(7000 + proto)
        diffs = []
        for i in range(5000):
            if i % 500 == 0:
                entries = rng.choice(["0", "1", "3", "16", "128"])
                value = rng.choice(["64", "64", "2"])
                for conn in (a, b):
                    conn.typed_cmd("CONFIG", "SET", "zset-max-listpack-entries", entries)
                    conn.typed_cmd("CONFIG", "SET", "zset-max-listpack-value", value)
            args = random_command(rng, keys)
            ra, rb = a.typed_cmd(*args), b.typed_cmd(*args)
            if canonical(args, ra) != canonical(args, rb):
                diffs.append((args, ra, rb))
            da, db = a.typed_cmd("DEBUG", "DIGEST"), b.typed_cmd("DEBUG", "DIGEST")
            if da != db:
                diffs.append((["DEBUG", "DIGEST", "after"] + args, da, db))
        if not t.is_(len(diffs), 0, "RESP%d: 5000 random sorted set commands reply as Redis does"
                     % proto):
            for d in diffs[:10]:
                t.diag("%r\n  ref:  %r\n  ours: %r" % d)
        for conn in (a, b):
            conn.typed_cmd("CONFIG", "SET", "zset-max-listpack-entries", "128")
            conn.typed_cmd("CONFIG", "SET", "zset-max-listpack-value", "64")
            conn.close()
    ref.stop()


def main():
    t = rhtest.Tap()
    srv = rhtest.Server(config=CONFIG)
    c = srv.raw()
    check_cases(t, c)
    check_resp3(t, srv)
    check_encodings(t, c)
    check_wrongtype(t, c)
    check_dirty(t, c)
    check_notifications(t, srv)
    check_random(t, c)
    check_zscan(t, c)
    check_blocking_paths(t, srv)
    check_ttls_and_keys(t, c)
    check_against_reference(t, srv)
    t.done()


main()
