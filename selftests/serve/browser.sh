#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A real browser against ktlsh serve: headless Chromium (Debian's
# chromium), our throwaway CA in a throwaway NSS database, loads a page
# with an image and a 24 MiB download over TLS 1.3. The page reports in
# its DOM what it got: the image decoded (its size), and the download's
# length and SHA-256 (fetch + crypto.subtle), checked here against the
# file. The server's own line says TLS 1.3. TAP output.
#
#   browser.sh KTLSH CERTDIR [PLAIN_KTLSH]
set -u
KTLSH=$1
C=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PORT=$((20000 + RANDOM % 10000))
tmp=$(mktemp -d)
root=$tmp/root
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tmp"' EXIT
. "$HERE/../tap.sh"
TAP_LOGS="$tmp/serve.log:server $tmp/chromium.err:chromium"

echo "TAP version 13"
BROWSER=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$BROWSER" ] || ! command -v certutil > /dev/null; then
	result browser_loads_page_image_and_download skip \
		"no chromium or certutil (Debian: chromium libnss3-tools, make deps)"
	echo "1..$n"
	exit 0
fi

mkdir -p "$root/img"
head -c $((24 << 20)) /dev/urandom > "$root/big.bin"
want_sum=$(sha256sum "$root/big.bin" | cut -d' ' -f1)
# a 3 x 2 PNG: what the browser decodes is what was sent
python3 - "$root/img/dot.png" <<'EOT'
import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
rows = b"".join(b"\0" + b"\xff\x00\x00" * 3 for _ in range(2))
png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 3, 2, 8, 2, 0, 0, 0)) +
       chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
open(sys.argv[1], "wb").write(png)
EOT
cat > "$root/index.html" <<'EOT'
<!doctype html>
<html><head><meta charset="utf-8"><title>ktlsh serve</title></head>
<body>
<img id="dot" src="/img/dot.png">
<p id="img">pending</p>
<p id="dl">pending</p>
<script>
const img = document.getElementById("dot");
function imgDone(ok) {
  document.getElementById("img").textContent =
    ok ? "image " + img.naturalWidth + "x" + img.naturalHeight : "image failed";
}
if (img.complete) imgDone(img.naturalWidth > 0);
img.onload = () => imgDone(true);
img.onerror = () => imgDone(false);
fetch("/big.bin").then(r => r.arrayBuffer()).then(async b => {
  const h = new Uint8Array(await crypto.subtle.digest("SHA-256", b));
  document.getElementById("dl").textContent = "download " + b.byteLength + " " +
    Array.from(h, x => x.toString(16).padStart(2, "0")).join("");
}).catch(e => { document.getElementById("dl").textContent = "download failed " + e; });
</script>
</body></html>
EOT

# the throwaway CA, trusted by this browser profile only
export HOME=$tmp/home
mkdir -p "$HOME/.pki/nssdb"
certutil -N -d "sql:$HOME/.pki/nssdb" --empty-password
certutil -A -d "sql:$HOME/.pki/nssdb" -n "handshaked test CA" -t "C,," -i "$C/ca.pem"

while [ -n "$(ss -Hant "sport = :$PORT")" ]; do PORT=$((PORT + 1)); done
"$KTLSH" serve --root "$root" --port "$PORT" --cert "$C/server-ec.pem" \
	--key "$C/server-ec.key" --threads 1 -v > "$tmp/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 100); do
	grep -q "listening on port" "$tmp/serve.log" && break
	sleep 0.05
done

browse() {
	# the certificate's name, mapped to loopback; verified against the CA
	timeout 120 "$BROWSER" --headless=new --no-sandbox --disable-gpu \
		--user-data-dir="$tmp/profile" --no-first-run \
		--host-resolver-rules="MAP server.test 127.0.0.1" \
		--virtual-time-budget=60000 --dump-dom \
		"https://server.test:$PORT/" > "$tmp/dom.html" 2> "$tmp/chromium.err"
	sleep 1	# the server's lines come as the connections end
	echo "DOM: $(grep -o '<p id="[a-z]*">[^<]*' "$tmp/dom.html" | tr '\n' ' ')"
	grep -q '<p id="img">image 3x2</p>' "$tmp/dom.html" &&
	grep -q "<p id=\"dl\">download $((24 << 20)) $want_sum</p>" "$tmp/dom.html" &&
	# every connection the browser made was TLS 1.3 and served
	grep -q 'version=TLSv1.3' "$tmp/serve.log" &&
	! grep 'serve: peer=' "$tmp/serve.log" | grep -qv 'version=TLSv1.3'
}
check browser_loads_page_image_and_download browse
kill -TERM "$SERVE_PID"
wait "$SERVE_PID"
rc=$?
[ $rc = 0 ] || { echo "ktlsh serve exited $rc" >> "$tmp/log"; result server_exited_cleanly fail; }
[ $rc = 0 ] && result server_exited_cleanly ok

echo "1..$n"
[ "$failed" = 0 ]
