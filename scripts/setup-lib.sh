# Shared by scripts/start and scripts/test (sourced, not run): install what
# a fresh Debian 12 / Ubuntu 24.04 machine with only Rust lacks, from the
# distribution, saying what and why; start PostgreSQL. Every step checks
# first, so running it again changes nothing.

say() { printf '\033[1mcyberdesk:\033[0m %s\n' "$*" >&2; }
fail() {
  say "$*"
  exit 1
}

# Runs a command as root: directly when root, else with sudo (which may ask
# for a password); without either, says what to ask an administrator for.
as_root() {
  if [ "$(id -u)" = 0 ]; then
    "$@"
  elif command -v sudo >/dev/null; then
    sudo "$@"
  else
    fail "this step needs root and sudo is not installed; ask an administrator to run: $*"
  fi
}

apt_updated=
# apt_install [--no-install-recommends] PACKAGE…
apt_install() {
  local names="" p
  for p in "$@"; do
    [ "$p" = --no-install-recommends ] || names="${names:+$names }$p"
  done
  command -v apt-get >/dev/null ||
    fail "no apt-get here: install $names with this system's package manager, then run this again"
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null ||
      fail "$names must be installed, which needs root, and sudo is not here: run this as root, or ask an administrator to run: apt-get install $names"
    sudo -v ||
      fail "$names must be installed and sudo refused: run this as root, or ask an administrator to run: apt-get install $names"
  fi
  say "installing from the distribution: $names (needs root)"
  if [ -z "$apt_updated" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
      fail "apt-get update failed (no network or no package mirror?): install $names by hand, then run this again"
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" ||
    fail "could not install $names (no network or no package mirror?): install it by hand, then run this again"
}

# The newest PostgreSQL cluster Debian's tools know, e.g. "15 main".
pg_cluster() {
  command -v pg_lsclusters >/dev/null || return 1
  pg_lsclusters -h 2>/dev/null | sort -V | tail -n1 | awk '{print $1, $2}'
}

# Installs PostgreSQL and libpq-dev if missing and starts the local cluster;
# returns when it answers on 127.0.0.1:5432.
ensure_postgres() {
  # Without recommends: a server needs no mail transfer agent or locales pulled in.
  command -v pg_config >/dev/null || apt_install --no-install-recommends libpq-dev
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    return 0
  fi
  if [ -z "$(pg_cluster)" ]; then
    apt_install --no-install-recommends postgresql
  fi
  local cluster
  cluster=$(pg_cluster) || fail "PostgreSQL is installed but has no cluster: create one with pg_createcluster, then run this again"
  say "starting PostgreSQL $cluster"
  # shellcheck disable=SC2086 # "15 main" is two arguments
  as_root pg_ctlcluster --skip-systemctl-redirect $cluster start 2>/dev/null || true
  for _ in $(seq 1 30); do
    pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null && return 0
    sleep 1
  done
  fail "PostgreSQL does not answer on 127.0.0.1:5432; see: pg_lsclusters, and its log under /var/log/postgresql"
}

# Runs psql as the postgres system user (peer authentication on the socket),
# the one way in that a stock installation always allows.
psql_as_postgres() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 "$@"
  elif command -v sudo >/dev/null; then
    sudo -u postgres psql -X -q -v ON_ERROR_STOP=1 "$@"
  else
    fail "this step needs the postgres account and sudo is not installed; ask an administrator to run: psql $*"
  fi
}
