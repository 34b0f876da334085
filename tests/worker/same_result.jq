# same_result.jq - whether two result.json files hold the same result:
#
#   jq -n --slurpfile a A.json --slurpfile b B.json -f same_result.jq
#
# exits 0 when they do, else 1 with one line per difference on stderr.
# Objects: the union of their keys (a missing key reads as null), except
# wall-clock figures and cache hit counts, which differ run to run: keys
# ending in _s, "cache", and keys naming time, timing, seconds, elapsed or
# duration.  Arrays: the same length, element by element.  Numbers: integers
# (integral values below 1e15, which cJSON prints as integers: counts,
# sizes, seeds) exactly, others within 1e-9 relative or 1e-12 absolute
# (math.isclose's rule).  Anything else: equal.

def abs: if . < 0 then -. else . end;
def integer: . == floor and abs < 1e15;
def skipped: . as $k | endswith("_s") or . == "cache"
  or any("time", "timing", "seconds", "elapsed", "duration"; . as $t | $k | contains($t));
def close($x; $y): ($x - $y | abs) <= ([1e-9 * ([$x, $y] | map(abs) | max), 1e-12] | max);
def where($path): if $path == "" then "(root)" else $path end;

def differences($x; $y; $path):
  if ($x | type) == "object" and ($y | type) == "object" then
    ([$x, $y] | map(keys_unsorted) | add | unique | map(select(skipped | not)))[] as $k
    | differences($x[$k]; $y[$k]; $path + "." + $k)
  elif ($x | type) == "array" and ($y | type) == "array" then
    if ($x | length) != ($y | length) then
      "differs at \(where($path)): \($x | length) vs \($y | length) elements"
    else
      range($x | length) as $i | differences($x[$i]; $y[$i]; "\($path)[\($i)]")
    end
  elif ($x | type) == "number" and ($y | type) == "number" and (($x | integer) and ($y | integer) | not) then
    if close($x; $y) then empty else "differs at \(where($path)): \($x) vs \($y)" end
  elif $x == $y then empty
  else "differs at \(where($path)): \($x | tojson) vs \($y | tojson)"
  end;

if ($a | length) != 1 or ($b | length) != 1 then
  "not one JSON document each: \($a | length) and \($b | length)\n" | halt_error(1)
else
  [differences($a[0]; $b[0]; "")]
  | if length == 0 then empty else map(. + "\n") | add | halt_error(1) end
end
