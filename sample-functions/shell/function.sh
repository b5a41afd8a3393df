# The handler of the shell sample (_HANDLER=function.handler): logs one line to stderr and returns the
# event unchanged. `printf '%s'`, not echo: dash's echo would rewrite backslash escapes inside the JSON.
handler () {
  EVENT_DATA=$1
  echo "function.sh: handling an event of ${#EVENT_DATA} bytes" >&2
  printf '%s' "$EVENT_DATA"
}
