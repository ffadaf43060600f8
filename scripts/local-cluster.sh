#!/usr/bin/env bash
# A one-node SLURM cluster and MLflow tracking servers on this machine, for bmexp's cluster tests
# and for trying `sweep=slurm` before a real cluster.
#
#   scripts/local-cluster.sh start    # install (Debian packages, first time), configure, start; idempotent
#   scripts/local-cluster.sh status   # what runs; exit 0 when everything does
#   scripts/local-cluster.sh stop     # stop what start started (data and configuration are kept)
#
# What start brings up (as root, with apt-get for what is missing):
#   - munge, MariaDB + slurmdbd (job accounting: `sacct`, which submitit polls, answers), slurmctld and
#     slurmd: one node (this host, 2 CPUs), partition `debug`;
#   - an MLflow tracking server on 127.0.0.1 with a SQLite backend, and, where PostgreSQL is installed
#     (Debian `postgresql`, installed here when apt works), one with a PostgreSQL backend.
# The tracking URIs and the partition are written to $BMEXP_CLUSTER_DIR/cluster.env (default
# /var/lib/bmexp-cluster/cluster.env) and printed.  Exit codes: 0 started, 3 cannot run here (not root,
# no apt-get: the reason on stderr, one line), 1 anything else failed (see the logs under $BMEXP_CLUSTER_DIR).
set -euo pipefail

DIR=${BMEXP_CLUSTER_DIR:-/var/lib/bmexp-cluster}
ENV_FILE=$DIR/cluster.env
PYTHON=${PYTHON:-python}
CLUSTER=bmexp-local
PARTITION=debug
HOST=$(hostname -s)
DB_PASS=bmexp-local-slurmdbd   # local-only accounts (127.0.0.1), not secrets
PG_USER=bmexp
PG_PASS=bmexp-local
PG_DB=bmexp_mlflow
SLURM_PACKAGES=(munge slurmctld slurmd slurm-client slurmdbd mariadb-server)

say() { echo "local-cluster: $*" >&2; }
cannot() { echo "local-cluster: cannot start here: $*" >&2; exit 3; }
die() { echo "local-cluster: error: $*" >&2; exit 1; }

alive_pidfile() {  # alive_pidfile FILE [NAME]: its process runs (and is NAME: a stale file's pid may be reused)
  [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null || return 1
  [ -z "${2:-}" ] || grep -qa -- "$2" "/proc/$(cat "$1")/cmdline" 2>/dev/null
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() {  # wait_for SECONDS WHAT COMMAND...
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq $((seconds * 5))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  die "$what did not come up within ${seconds} s (logs: $DIR/log)"
}

missing_packages() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
  done
}

install_packages() {
  local missing
  missing=$(missing_packages "$@")
  [ -z "$missing" ] && return 0
  command -v apt-get >/dev/null || cannot "Debian packages missing ($(echo $missing)) and no apt-get"
  say "installing $(echo $missing) (apt-get, once)"
  apt-get update -qq >"$DIR/log/apt.log" 2>&1 || cannot "apt-get update failed (no package registry?); see $DIR/log/apt.log"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >>"$DIR/log/apt.log" 2>&1 \
    || die "apt-get install $(echo $missing) failed; see $DIR/log/apt.log"
}

server_up() {  # server_up PIDFILE PORT NAME: answers /health; a server that died is an error at once
  alive_pidfile "$1" mlflow || die "the MLflow server ($3) exited; see $DIR/log/mlflow-$3.log"
  curl -sf "http://127.0.0.1:$2/health"
}

free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# ----------------------------------------------------------------------------- munge
start_munge() {
  if [ ! -s /etc/munge/munge.key ]; then
    if command -v mungekey >/dev/null; then mungekey -c -f -k /etc/munge/munge.key; else
      dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key 2>/dev/null; fi
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
  fi
  if alive_pidfile /run/munge/munged.pid munged && munge -n | unmunge >/dev/null 2>&1; then return 0; fi
  mkdir -p /run/munge /var/log/munge /var/lib/munge
  chown munge:munge /run/munge /var/log/munge /var/lib/munge
  rm -f /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged --force
  wait_for 20 munged sh -c 'munge -n | unmunge'
}

# ----------------------------------------------------------------------------- accounting
start_mariadb() {
  if mysqladmin ping >/dev/null 2>&1; then return 0; fi
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  [ -d /var/lib/mysql/mysql ] || mariadb-install-db --user=mysql >"$DIR/log/mariadb-install.log" 2>&1
  setsid mysqld_safe --user=mysql --bind-address=127.0.0.1 >"$DIR/log/mariadb.log" 2>&1 </dev/null &
  touch "$DIR/started-mariadb"
  wait_for 60 MariaDB mysqladmin ping
}

start_slurmdbd() {
  mysql -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db; CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '$DB_PASS'; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost';"
  write_if_changed /etc/slurm/slurmdbd.conf 600 <<EOF
# written by bmexp's scripts/local-cluster.sh
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
PidFile=/run/slurmdbd.pid
LogFile=$DIR/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$DB_PASS
StorageLoc=slurm_acct_db
EOF
  if ! alive_pidfile /run/slurmdbd.pid slurmdbd || [ "$CHANGED" = 1 ]; then
    alive_pidfile /run/slurmdbd.pid slurmdbd && kill "$(cat /run/slurmdbd.pid)" 2>/dev/null && sleep 1
    slurmdbd
    wait_for 60 slurmdbd sacctmgr -n list cluster
  fi
  if ! sacctmgr -n -P list cluster format=cluster | grep -qx "$CLUSTER"; then
    sacctmgr -i add cluster "$CLUSTER" >/dev/null
  fi
}

# ----------------------------------------------------------------------------- slurm
CHANGED=0
write_if_changed() {  # write_if_changed FILE MODE < content; sets CHANGED=1 when the file changed
  local tmp
  tmp=$(mktemp)
  cat >"$tmp"
  CHANGED=0
  if ! cmp -s "$tmp" "$1"; then
    mkdir -p "$(dirname "$1")"
    mv "$tmp" "$1"
    CHANGED=1
  else
    rm -f "$tmp"
  fi
  chmod "$2" "$1"
}

SLURM_CONF_CHANGED=0
write_slurm_conf() {  # before slurmdbd: sacctmgr reads slurm.conf too
  local mem
  mem=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
  mkdir -p /var/spool/slurmctld /var/spool/slurmd
  write_if_changed /etc/slurm/slurm.conf 644 <<EOF
# written by bmexp's scripts/local-cluster.sh: one node ($HOST, 2 CPUs), partition $PARTITION
ClusterName=$CLUSTER
SlurmctldHost=$HOST(127.0.0.1)
AuthType=auth/munge
SlurmUser=root
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
KillWait=10
MinJobAge=300
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=2 RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
  SLURM_CONF_CHANGED=$CHANGED
}

start_slurm() {
  local restart=$SLURM_CONF_CHANGED
  if [ "$restart" = 1 ] || ! alive_pidfile /run/slurmctld.pid slurmctld; then
    alive_pidfile /run/slurmctld.pid slurmctld && kill "$(cat /run/slurmctld.pid)" 2>/dev/null && sleep 1
    slurmctld
  fi
  wait_for 30 slurmctld scontrol ping
  if [ "$restart" = 1 ] || ! alive_pidfile /run/slurmd.pid slurmd; then
    alive_pidfile /run/slurmd.pid slurmd && kill "$(cat /run/slurmd.pid)" 2>/dev/null && sleep 1
    slurmd
  fi
  wait_for 30 "the node $HOST" sh -c "sinfo -h -n $HOST -o %T | grep -Eq '^(idle|mixed|allocated)'"
}

# ----------------------------------------------------------------------------- mlflow
start_mlflow() {  # start_mlflow NAME BACKEND_URI: launch it unless it runs (wait_mlflow NAME waits for it)
  local name=$1 backend=$2 port pidfile=$DIR/mlflow-$1.pid portfile=$DIR/mlflow-$1.port
  port=$(cat "$portfile" 2>/dev/null || true)
  if alive_pidfile "$pidfile" mlflow && [ -n "$port" ] && port_open "$port"; then return 0; fi
  [ -n "$port" ] && ! port_open "$port" || port=$(free_port)
  mkdir -p "$DIR/mlflow-$name/artifacts"
  MLFLOW_DISABLE_TELEMETRY=true setsid "$PYTHON" -m mlflow server --backend-store-uri "$backend" \
    --artifacts-destination "$DIR/mlflow-$name/artifacts" --host 127.0.0.1 --port "$port" --workers 1 \
    >"$DIR/log/mlflow-$name.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  echo "$port" >"$portfile"
}

wait_mlflow() {  # wait_mlflow NAME
  wait_for 150 "the MLflow server ($1)" server_up "$DIR/mlflow-$1.pid" "$(cat "$DIR/mlflow-$1.port")" "$1"
}

start_postgres() {  # prints nothing; returns 1 when PostgreSQL cannot be used
  command -v pg_lsclusters >/dev/null || return 1
  local version name status
  read -r version name _ status _ < <(pg_lsclusters -h | head -1) || return 1
  [ -n "${version:-}" ] || return 1
  if [ "$status" != online ]; then
    pg_ctlcluster "$version" "$name" start >"$DIR/log/postgres.log" 2>&1 || return 1
    touch "$DIR/started-postgres"
  fi
  runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'" | grep -q 1 \
    || runuser -u postgres -- psql -qc "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASS'" >/dev/null
  runuser -u postgres -- psql -qtAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1 \
    || runuser -u postgres -- createdb -O "$PG_USER" "$PG_DB"
  "$PYTHON" -c "import importlib.util as u, sys; sys.exit(u.find_spec('psycopg2') is None)" 2>/dev/null \
    || "$PYTHON" -m pip install --quiet --disable-pip-version-check psycopg2-binary >"$DIR/log/pip.log" 2>&1 || return 1
  echo "$version/$name"
}

# ----------------------------------------------------------------------------- commands
cmd_start() {
  [ "$(id -u)" = 0 ] || cannot "it needs root (it installs Debian packages and starts SLURM's daemons); user $(id -un)"
  "$PYTHON" -c "import importlib.util as u, sys; sys.exit(u.find_spec('mlflow') is None)" 2>/dev/null || cannot "$PYTHON has no mlflow (pip install -e '.[test]')"
  mkdir -p "$DIR/log"
  local t0=$SECONDS packages=("${SLURM_PACKAGES[@]}")
  command -v apt-get >/dev/null && packages+=(postgresql)
  install_packages "${packages[@]}"
  start_mlflow sqlite "sqlite:///$DIR/mlflow-sqlite/mlflow.db"  # (servers start while SLURM does)
  local pg postgres_uri="" postgres_note=""
  if pg=$(start_postgres); then
    start_mlflow postgres "postgresql+psycopg2://$PG_USER:$PG_PASS@127.0.0.1:5432/$PG_DB"
    postgres_uri=http://127.0.0.1:$(cat "$DIR/mlflow-postgres.port")
  else
    postgres_note="PostgreSQL is not installed or did not start here (see $DIR/log/postgres.log)"
  fi
  start_munge
  start_mariadb
  write_slurm_conf
  start_slurmdbd
  start_slurm
  wait_mlflow sqlite
  [ -z "$postgres_uri" ] || wait_mlflow postgres
  cat >"$ENV_FILE" <<EOF
BMEXP_CLUSTER_DIR=$DIR
BMEXP_CLUSTER_PARTITION=$PARTITION
BMEXP_CLUSTER_SQLITE_URI=http://127.0.0.1:$(cat "$DIR/mlflow-sqlite.port")
BMEXP_CLUSTER_POSTGRES_URI=$postgres_uri
BMEXP_CLUSTER_POSTGRES_NOTE=$postgres_note
EOF
  say "ready in $((SECONDS - t0)) s: SLURM partition $PARTITION on $HOST (2 CPUs); settings in $ENV_FILE"
  cat "$ENV_FILE"
}

stop_pidfile() {  # stop_pidfile FILE NAME [group]: SIGTERM (its process group with group), wait up to 15 s
  alive_pidfile "$1" "$2" || { rm -f "$1"; return 0; }
  local pid
  pid=$(cat "$1")
  if [ "${3:-}" = group ]; then kill -- "-$pid" 2>/dev/null || kill "$pid"; else kill "$pid"; fi
  for _ in $(seq 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  rm -f "$1"
}

cmd_stop() {
  [ "$(id -u)" = 0 ] || cannot "it needs root; user $(id -un)"
  command -v scancel >/dev/null && scancel --full --quiet --partition="$PARTITION" 2>/dev/null || true
  stop_pidfile "$DIR/mlflow-sqlite.pid" mlflow group
  stop_pidfile "$DIR/mlflow-postgres.pid" mlflow group
  stop_pidfile /run/slurmd.pid slurmd
  stop_pidfile /run/slurmctld.pid slurmctld
  stop_pidfile /run/slurmdbd.pid slurmdbd
  if [ -e "$DIR/started-mariadb" ]; then
    mysqladmin shutdown 2>/dev/null || true
    rm -f "$DIR/started-mariadb"
  fi
  if [ -e "$DIR/started-postgres" ]; then
    pg_ctlcluster "$(pg_lsclusters -h | awk 'NR == 1 {print $1}')" "$(pg_lsclusters -h | awk 'NR == 1 {print $2}')" stop || true
    rm -f "$DIR/started-postgres"
  fi
  stop_pidfile /run/munge/munged.pid munged
  rm -f "$ENV_FILE"
  say "stopped"
}

cmd_status() {
  local ok=0 what
  check() { if "$@" >/dev/null 2>&1; then echo "running  $what"; else echo "stopped  $what"; ok=1; fi; }
  what=munged; check alive_pidfile /run/munge/munged.pid munged
  what=slurmdbd; check alive_pidfile /run/slurmdbd.pid slurmdbd
  what=slurmctld; check alive_pidfile /run/slurmctld.pid slurmctld
  what="slurmd ($HOST)"; check alive_pidfile /run/slurmd.pid slurmd
  what="MLflow server (SQLite) on port $(cat "$DIR/mlflow-sqlite.port" 2>/dev/null || echo -)"
  check port_open "$(cat "$DIR/mlflow-sqlite.port" 2>/dev/null || echo 0)"
  if [ -s "$DIR/mlflow-postgres.port" ]; then
    what="MLflow server (PostgreSQL) on port $(cat "$DIR/mlflow-postgres.port")"
    check port_open "$(cat "$DIR/mlflow-postgres.port")"
  fi
  [ -s "$ENV_FILE" ] && cat "$ENV_FILE"
  return $ok
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
