#!/bin/sh
# The test suite: runs in the image, talks to the services, writes JUnit XML to $RESULTS.
RESULTS=${RESULTS:-/results}
mkdir -p "$RESULTS"
. /app/src/app.sh
cases=""
failures=0
count=0
check() { # name, then a command that must succeed
  name=$1
  shift
  count=$((count + 1))
  if out=$("$@" 2>&1); then
    cases="$cases<testcase classname=\"demo\" name=\"$name\"/>"
    echo "ok   $name"
  else
    failures=$((failures + 1))
    cases="$cases<testcase classname=\"demo\" name=\"$name\"><failure message=\"failed\">$(echo "$out" | sed 's/[<>&]/_/g')</failure></testcase>"
    echo "FAIL $name: $out"
  fi
}
check greets sh -c '[ "$(. /app/src/app.sh; greet world)" = "hello world" ]'
check dependencies-installed sh -c '[ -s /deps/webframework ] && [ -s /deps/orm ]'
# No stale code: the image holds the code of the commit under test.
check code-is-current sh -c '[ -z "$EXPECTED_MARKER" ] || [ "$(cat /app/src/marker)" = "$EXPECTED_MARKER" ]'
check kv-service-answers sh -c 'wget -q -O - http://kv:8080/hello | grep -q "hello from kv"'
check kv-setup-ran sh -c 'wget -q -O - http://kv:8080/seeded | grep -q seeded'
check db-url-mapped sh -c 'wget -q -O - "$DATABASE_URL/hello" | grep -q "hello from kv"'
check broken-on-purpose sh -c '[ -z "$BREAK_TEST" ]'
printf '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="demo" tests="%s" failures="%s">%s</testsuite>\n' \
  "$count" "$failures" "$cases" >"$RESULTS/junit.xml"
echo "$count tests, $failures failed"
[ "$failures" -eq 0 ]
