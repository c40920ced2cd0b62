import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// The sandbox's Render backend: a small Python standard-library HTTP app, written to a folder that
// stands for the service's repository checkout (backend.sourceDir). Routes:
//   GET /api/health        200 {"ok": true}                       (Render's health check path)
//   GET /api/public/info   200 {"service": ..., "runtime": ...}   (public, deterministic)
//   GET /api/bots          the rows of public.bots, read from DATABASE_URL; needs a Bearer token
// It talks to PostgreSQL with a minimal wire-protocol client (trust, cleartext, md5 and SCRAM-SHA-256
// auth; simple queries), since the standard library has no driver. Signature checks of the token
// are the gateway's job on AWS (its JWT authorizer); the app itself requires the header and reads the
// caller from the claims (from x-amzn-request-context on Lambda, else the token's payload).

export const BACKEND_APP_SOURCE = String.raw`import base64, hashlib, hmac, json, os, socket, struct, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, unquote


class Pg:
    def __init__(self, url):
        u = urlparse(url)
        self.sock = socket.create_connection((u.hostname or "127.0.0.1", u.port or 5432), timeout=10)
        self.user = unquote(u.username or "postgres")
        self.password = unquote(u.password or "")
        db = (u.path or "/postgres").lstrip("/") or "postgres"
        params = b"user\0" + self.user.encode() + b"\0database\0" + db.encode() + b"\0\0"
        self.sock.sendall(struct.pack("!ii", len(params) + 8, 196608) + params)
        self._auth()

    def _read(self):
        head = self._exact(5)
        kind, size = head[:1], struct.unpack("!i", head[1:])[0]
        return kind, self._exact(size - 4)

    def _exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise IOError("connection closed")
            buf += chunk
        return buf

    def _send(self, kind, body):
        self.sock.sendall(kind + struct.pack("!i", len(body) + 4) + body)

    def _auth(self):
        nonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = "n=,r=" + nonce
        server_first = salted = None
        while True:
            kind, body = self._read()
            if kind == b"E":
                raise IOError(body.decode(errors="replace"))
            if kind == b"Z":
                return
            if kind != b"R":
                continue
            code = struct.unpack("!i", body[:4])[0]
            if code == 3:
                self._send(b"p", self.password.encode() + b"\0")
            elif code == 5:
                inner = hashlib.md5((self.password + self.user).encode()).hexdigest()
                outer = hashlib.md5(inner.encode() + body[4:8]).hexdigest()
                self._send(b"p", ("md5" + outer).encode() + b"\0")
            elif code == 10:
                msg = ("n,," + first_bare).encode()
                self._send(b"p", b"SCRAM-SHA-256\0" + struct.pack("!i", len(msg)) + msg)
            elif code == 11:
                server_first = body[4:].decode()
                parts = dict(p.split("=", 1) for p in server_first.split(","))
                salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), base64.b64decode(parts["s"]), int(parts["i"]))
                client_key = hmac.new(salted, b"Client Key", "sha256").digest()
                final_bare = "c=biws,r=" + parts["r"]
                auth = (first_bare + "," + server_first + "," + final_bare).encode()
                sig = hmac.new(hashlib.sha256(client_key).digest(), auth, "sha256").digest()
                proof = base64.b64encode(bytes(a ^ b for a, b in zip(client_key, sig))).decode()
                self._send(b"p", (final_bare + ",p=" + proof).encode())

    def query(self, sql):
        self._send(b"Q", sql.encode() + b"\0")
        names, rows, error = [], [], None
        while True:
            kind, body = self._read()
            if kind == b"T":
                count, pos = struct.unpack("!h", body[:2])[0], 2
                for _ in range(count):
                    end = body.index(b"\0", pos)
                    names.append(body[pos:end].decode())
                    pos = end + 1 + 18
            elif kind == b"D":
                count, pos, row = struct.unpack("!h", body[:2])[0], 2, []
                for _ in range(count):
                    size = struct.unpack("!i", body[pos:pos + 4])[0]
                    pos += 4
                    row.append(None if size < 0 else body[pos:pos + size].decode())
                    pos += max(size, 0)
                rows.append(dict(zip(names, row)))
            elif kind == b"E":
                error = body.decode(errors="replace")
            elif kind == b"Z":
                if error:
                    raise IOError(error)
                return rows

    def close(self):
        try:
            self._send(b"X", b"")
        finally:
            self.sock.close()


def claims_of(headers):
    context = headers.get("x-amzn-request-context")
    if context:
        jwt = (json.loads(context).get("authorizer") or {}).get("jwt") or {}
        if jwt.get("claims"):
            return jwt["claims"]
    auth = headers.get("authorization", "")
    token = auth[7:] if auth.lower().startswith("bearer ") else ""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # One segment per reply: without it Nagle + delayed ACK add ~40 ms to keep-alive responses.
    disable_nagle_algorithm = True

    def reply(self, status, body):
        data = json.dumps(body, sort_keys=True).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = urlparse(self.path).path
        if path == "/api/health":
            return self.reply(200, {"ok": True})
        if path == "/api/public/info":
            return self.reply(200, {"service": os.environ.get("SERVICE_NAME", "chatbot-api"), "runtime": "python"})
        if path == "/api/bots":
            claims = claims_of(self.headers)
            if not claims:
                return self.reply(401, {"error": "sign in first"})
            db = Pg(os.environ["DATABASE_URL"])
            try:
                rows = db.query("SELECT slug, name FROM public.bots ORDER BY slug")
            finally:
                db.close()
            return self.reply(200, {"bots": rows, "caller": claims.get("email") or claims.get("username")})
        return self.reply(404, {"error": "not found"})


if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8080"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    print("listening on", port, flush=True)
    server.serve_forever()
`;

/** The Render service's build and start commands for this app. */
export const BACKEND_APP_COMMANDS = {
  buildCommand: 'python3 -m py_compile app.py',
  startCommand: 'python3 app.py',
  healthCheckPath: '/api/health',
} as const;

/** Writes the app as a repository checkout; returns the folder. */
export function writeBackendApp(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'app.py'), BACKEND_APP_SOURCE);
  writeFileSync(join(dir, 'requirements.txt'), '# standard library only\n');
  return dir;
}
