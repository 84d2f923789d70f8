#!/usr/bin/env bash
# Start ClamAV's daemon for the upload-scanning tests without the internet: freshclam cannot
# reach the signature mirrors here, so clamd gets a database of its own holding one signature,
# for the EICAR anti-virus test string, generated now into a temporary directory.
# Usage: .ci/clamd.sh [PORT]   (listens on 127.0.0.1:PORT, default 3310)
set -euo pipefail
port=${1:-3310}
dir=${CLAMD_DIR:-/tmp/cc-clamd}
clamd=$(command -v clamd || echo /usr/sbin/clamd)
mkdir -p "$dir/db"
# The EICAR string, assembled from two halves so that no file of this repository contains it
# (a scanner on a developer's machine would quarantine the file otherwise).
first='X5O!P%@AP[4\PZX54(P^)7CC)7}$'
second='EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
hex=$(printf '%s%s' "$first" "$second" | od -An -tx1 | tr -d ' \n')
# .ndb body signature: Name:TargetType(0 = any file):Offset(* = anywhere):HexSignature
printf 'CareerCredit.Test.EICAR:0:*:%s\n' "$hex" > "$dir/db/eicar.ndb"
cat > "$dir/clamd.conf" <<CONF
DatabaseDirectory $dir/db
TCPSocket $port
TCPAddr 127.0.0.1
LocalSocket $dir/clamd.sock
PidFile $dir/clamd.pid
LogFile $dir/clamd.log
Foreground no
StreamMaxLength 30M
CONF
pong() {  # does a clamd answer PING on the port?
    timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$port; printf 'zPING\0' >&3; head -c 4 <&3" \
        2>/dev/null | grep -q PONG
}
if pong; then
    echo "a clamd already answers at 127.0.0.1:$port"
    exit 0
fi
"$clamd" -c "$dir/clamd.conf"
for _ in $(seq 30); do
    if pong; then
        echo "clamd answers at 127.0.0.1:$port and $dir/clamd.sock (signatures: $dir/db)"
        exit 0
    fi
    sleep 1
done
echo "clamd did not start; its log:" >&2
cat "$dir/clamd.log" >&2 || true
exit 1
