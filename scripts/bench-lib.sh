# Shared by the benchmark scripts (sourced): sign in through the login form
# and print the session cookie's value. Needs BASE and PASS.
session_of() {
  local jar csrf
  jar=$(mktemp)
  csrf=$(curl -s -c "$jar" -b "$jar" "$BASE/login" | sed -n 's/.*name="csrf_token" value="\([^"]*\)".*/\1/p' | head -n1)
  curl -s -o /dev/null -c "$jar" -b "$jar" --data-urlencode "email=$1" --data-urlencode "password=$PASS" --data-urlencode "csrf_token=$csrf" "$BASE/login"
  awk '$6 == "cd_session" { print $7 }' "$jar"
  rm -f "$jar"
}
