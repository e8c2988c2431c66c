"""Rate-limit buckets in Redis (when `REDIS_URL` is set): one Lua script per take or settle, atomic on
the server, with the server's clock. A bucket's key expires once it would be full again."""

from __future__ import annotations

from typing import Any

_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local out = {}
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[4 * i - 3])
  local burst = tonumber(ARGV[4 * i - 2])
  local taken = tonumber(ARGV[4 * i - 1])
  local strict = ARGV[4 * i] == '1'
  local saved = redis.call('HMGET', key, 'level', 'at')
  local level = burst
  if saved[1] then
    level = math.min(burst, tonumber(saved[1]) + (now - tonumber(saved[2])) * rate)
  end
  local granted = 1
  if strict and level < taken then
    granted = 0
  else
    level = math.max(-burst, level - taken)
  end
  redis.call('HSET', key, 'level', tostring(level), 'at', tostring(now))
  redis.call('EXPIRE', key, math.ceil((burst - level) / rate) + 1)
  out[2 * i - 1] = granted
  out[2 * i] = tostring(level)
end
return out
"""
PREFIX = "markaz:rate:"


class RedisBuckets:
    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self.client: Any = redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._script = self.client.register_script(_SCRIPT)

    async def _run(self, entries: list[tuple[str, float, float, float, bool]]) -> list[tuple[bool, float]]:
        keys = [PREFIX + key for key, *_ in entries]
        argv: list[Any] = []
        for _, rate, burst, taken, strict in entries:
            argv += [repr(float(rate)), repr(float(burst)), repr(float(taken)), "1" if strict else "0"]
        out = await self._script(keys=keys, args=argv)
        return [(bool(int(out[i])), float(out[i + 1])) for i in range(0, len(out), 2)]

    async def take(self, key: str, rate: float, burst: float) -> tuple[bool, float]:
        return (await self._run([(key, rate, burst, 1.0, True)]))[0]

    async def settle(self, entries: list[tuple[str, float, float, float]]) -> list[float]:
        return [level for _, level in await self._run([(*entry, False) for entry in entries])]

    async def close(self) -> None:
        await self.client.aclose()
