"""A fake adb *server* on loopback, so the real adbutils code path runs.

It speaks the adb host protocol (``host:version``, ``host:devices``,
``host:tport:serial:``/``host:transport:``, ``host-serial:<s>:features``),
the device services ``shell:`` and ``shell,v2:`` and the ``sync:`` file
protocol (STAT, SEND/DATA/DONE, RECV, LIST, QUIT). A :class:`FakeDevice` keeps
files in memory and runs a tiny shell: ``mkdir``, ``rm``, ``test``, ``ls``,
``cat``, ``chmod``, ``echo`` and any pushed/installed executable, which it
treats as ``onnxruntime_perf_test``: it prints that tool's output with an
average latency computed from the size of the model file it is given
(:meth:`FakeDevice.latency_ms`), so a test can check the parse exactly.

``disconnect_after=K`` makes the device vanish (as if unplugged) when its
K+1-th service is requested: that connection is closed without an answer and
the server then answers ``device '<serial>' not found``; with
``reconnect_after=M`` it comes back after M refused transport requests.

Every socket is on 127.0.0.1, every read has a timeout and the server shuts
itself down after ``lifetime_s`` seconds.
"""
import shlex
import socket
import socketserver
import stat
import struct
import threading
import time
from typing import Dict, List, Optional, Tuple

_SHELL_OPS = (';', '&&')


class FakeDevice:
    """An in-memory Android device.

    Args:
        serial (str): Its serial.
        runner (str, optional): Path of a pre-installed benchmark runner.
            Defaults to '/data/local/tmp/onnxruntime_perf_test'.
        us_per_byte (float): Fake latency per byte of model file, in
            microseconds. Defaults to 1.0.
        disconnect_after (int, optional): Device services served before it
            vanishes. Defaults to None (never).
        reconnect_after (int, optional): Refused transport requests before a
            vanished device comes back. Defaults to None (never).
    """

    def __init__(
            self,
            serial: str,
            runner: Optional[str] = '/data/local/tmp/onnxruntime_perf_test',
            us_per_byte: float = 1.0,
            disconnect_after: Optional[int] = None,
            reconnect_after: Optional[int] = None):
        self.serial = serial
        self.us_per_byte = us_per_byte
        self.disconnect_after = disconnect_after
        self.reconnect_after = reconnect_after
        self.online = True
        self.services = 0
        self.refused = 0
        self.files: Dict[str, dict] = {}
        self.dirs = {'/', '/data', '/data/local', '/data/local/tmp'}
        self.log: List[tuple] = []
        self.pushed: List[Tuple[str, int]] = []
        self.removed: List[str] = []
        self.runs: List[dict] = []
        self.lock = threading.Lock()
        if runner:
            self.install(runner)

    def install(self, path: str, data: bytes = b'\x7fELF fake runner'):
        self.files[path] = dict(data=data, mode=0o755, mtime=int(time.time()))

    def latency_ms(self, size: int) -> float:
        """The average latency the fake runner reports for a model file."""
        return round(size * self.us_per_byte / 1000.0, 4)

    # ---- availability ------------------------------------------------------
    def begin_service(self) -> bool:
        """Count a device service; False when the device vanishes now."""
        with self.lock:
            if not self.online:
                return False
            self.services += 1
            if (self.disconnect_after is not None
                    and self.services > self.disconnect_after):
                self.online = False
                self.disconnect_after = None
                self.log.append(('vanished', self.services))
                return False
            return True

    def transport_allowed(self) -> bool:
        with self.lock:
            if self.online:
                return True
            self.refused += 1
            if (self.reconnect_after is not None
                    and self.refused >= self.reconnect_after):
                self.online = True
                self.log.append(('reconnected', self.refused))
            return False

    # ---- files -------------------------------------------------------------
    def stat(self, path: str) -> Tuple[int, int, int]:
        if path in self.files:
            f = self.files[path]
            return stat.S_IFREG | f['mode'], len(f['data']), f['mtime']
        if path.rstrip('/') in self.dirs or path == '/':
            return stat.S_IFDIR | 0o755, 4096, int(time.time())
        return 0, 0, 0

    def write(self, path: str, data: bytes, mode: int):
        parent = path.rsplit('/', 1)[0] or '/'
        self.mkdir(parent)
        self.files[path] = dict(
            data=data, mode=mode & 0o777, mtime=int(time.time()))
        self.pushed.append((path, len(data)))
        self.log.append(('push', path, len(data)))

    def mkdir(self, path: str):
        parts = path.rstrip('/').split('/')
        for i in range(2, len(parts) + 1):
            self.dirs.add('/'.join(parts[:i]))

    # ---- shell -------------------------------------------------------------
    def shell(self, cmd: str) -> Tuple[bytes, bytes, int]:
        """Run a command line; returns (stdout, stderr, exit code)."""
        self.log.append(('shell', cmd))
        lex = shlex.shlex(cmd, posix=True, punctuation_chars=';&|')
        lex.whitespace_split = True
        segments, current = [], []
        for tok in lex:
            if tok in _SHELL_OPS:
                segments.append((current, tok))
                current = []
            else:
                current.append(tok)
        segments.append((current, None))
        out, err, rc, prev_op = b'', b'', 0, None
        for argv, op in segments:
            if not (prev_op == '&&' and rc != 0) and argv:
                o, e, rc = self._run(argv, rc)
                out, err = out + o, err + e
            prev_op = op
        return out, err, rc

    def _run(self, argv: List[str], last_rc: int) -> Tuple[bytes, bytes, int]:
        while argv and '=' in argv[0] and not argv[0].startswith('/'):
            argv = argv[1:]  # VAR=value prefixes
        prog, args = argv[0], argv[1:]
        paths = [a for a in args if not a.startswith('-')]
        if prog == 'echo':
            return (' '.join(args).replace('$?', str(last_rc)) +
                    '\n').encode(), b'', 0
        if prog == 'mkdir':
            for p in paths:
                self.mkdir(p)
            return b'', b'', 0
        if prog == 'chmod':
            return b'', b'', 0
        if prog == 'rm':
            rc, err = 0, b''
            for p in paths:
                if p in self.files:
                    del self.files[p]
                    self.removed.append(p)
                elif '-f' not in args:
                    rc, err = 1, f'rm: {p}: No such file\n'.encode()
            return b'', err, rc
        if prog in ('test', 'ls'):
            ok = all(p in self.files or p in self.dirs for p in paths)
            return (b'', b'', 0) if ok else (b'', b'', 1)
        if prog == 'cat':
            if all(p in self.files for p in paths):
                return b''.join(self.files[p]['data'] for p in paths), b'', 0
            return b'', b'cat: No such file\n', 1
        exe = self.files.get(prog)
        if exe is not None and exe['mode'] & 0o111:
            return self._perf_test(prog, args)
        return b'', f'/system/bin/sh: {prog}: not found\n'.encode(), 127

    def _perf_test(self, prog: str, args: List[str]):
        """``onnxruntime_perf_test`` output for the model in ``args``."""
        models = [a for a in args if a.endswith('.onnx')]
        if not models or models[-1] not in self.files:
            return b'', b'Failed to load model\n', 1
        model = models[-1]
        repeats = int(args[args.index('-r') + 1]) if '-r' in args else 1000
        size = len(self.files[model]['data'])
        avg = self.latency_ms(size)
        self.runs.append(dict(model=model, size=size, argv=[prog] + args))
        total = avg * repeats / 1000.0
        text = (f'Session creation time cost: 0.0312 s\n'
                f'First inference time cost: {avg * 1.5:.2f} ms\n'
                f'Total inference time cost: {total:.4f} s\n'
                f'Total inference requests: {repeats}\n'
                f'Average inference time cost: {avg:.4f} ms\n'
                f'Total inference run time: {total + 0.0001:.4f} s\n'
                f'Number of inferences per second: '
                f'{repeats / max(total, 1e-9):.2f}\n'
                f'Avg CPU usage: 98 %\n'
                f'Peak working set size: 28901376 bytes\n'
                f'Min Latency: {avg * 0.0009:.6f} s\n'
                f'Max Latency: {avg * 0.0012:.6f} s\n')
        return text.encode(), b'', 0


class _Handler(socketserver.BaseRequestHandler):

    def handle(self):
        fake: 'FakeAdbServer' = self.server.fake
        sock = self.request
        sock.settimeout(fake.io_timeout_s)
        device = None
        try:
            while True:
                req = self._read_request()
                if req is None:
                    return
                fake.requests.append(req)
                if device is None:
                    device = self._host(req)
                    if device is False:
                        return
                else:
                    self._device_service(device, req)
                    return
        except (socket.timeout, ConnectionError, OSError):
            return

    # ---- low level ---------------------------------------------------------
    def _recv_exact(self, n: int) -> Optional[bytes]:
        buf = b''
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def _read_request(self) -> Optional[str]:
        head = self._recv_exact(4)
        if head is None:
            return None
        body = self._recv_exact(int(head, 16))
        return None if body is None else body.decode()

    def _okay(self, payload: bytes = b''):
        self.request.sendall(b'OKAY' + payload)

    def _fail(self, msg: str):
        data = msg.encode()
        self.request.sendall(b'FAIL' + b'%04x' % len(data) + data)

    @staticmethod
    def _block(text: str) -> bytes:
        data = text.encode()
        return b'%04x' % len(data) + data

    # ---- host services -----------------------------------------------------
    def _host(self, req: str):
        """Answer a host request; returns the device a transport switched to,
        None to keep reading, False to close."""
        fake: 'FakeAdbServer' = self.server.fake
        if req == 'host:version':
            self._okay(self._block(f'{fake.version:04x}'))
            return False
        if req in ('host:devices', 'host:devices-l'):
            lines = ''.join(f'{d.serial}\tdevice\n'
                            for d in fake.devices.values() if d.online)
            self._okay(self._block(lines))
            return False
        for prefix in ('host:tport:serial:', 'host:transport:'):
            if req.startswith(prefix):
                dev = self._lookup(req[len(prefix):])
                if dev is None:
                    return False
                tid = struct.pack('<Q', 1) if 'tport' in prefix else b''
                self._okay(tid)
                return dev
        if req.startswith('host-serial:'):
            serial, _, cmd = req[len('host-serial:'):].rpartition(':')
            dev = self._lookup(serial)
            if dev is None:
                return False
            answers = dict(
                features='shell_v2,cmd,stat_v2,ls_v2,fixed_push_mkdir',
                **{
                    'get-state': 'device',
                    'get-serialno': serial
                })
            if cmd not in answers:
                self._fail(f'unsupported host-serial service {cmd!r}')
                return False
            self._okay(self._block(answers[cmd]))
            return False
        self._fail(f'unknown host service {req!r}')
        return False

    def _lookup(self, serial: str) -> Optional[FakeDevice]:
        dev = self.server.fake.devices.get(serial)
        if dev is None or not dev.transport_allowed():
            self._fail(f"device '{serial}' not found")
            return None
        return dev

    # ---- device services ---------------------------------------------------
    def _device_service(self, dev: FakeDevice, req: str):
        if not dev.begin_service():
            return  # unplugged mid-request: the connection just drops
        if req.startswith('shell,v2:'):
            out, err, rc = dev.shell(req[len('shell,v2:'):])
            self._okay()
            packets = b''
            if out:
                packets += b'\x01' + struct.pack('<I', len(out)) + out
            if err:
                packets += b'\x02' + struct.pack('<I', len(err)) + err
            packets += b'\x03' + struct.pack('<I', 1) + bytes([rc & 0xff])
            self.request.sendall(packets)
        elif req.startswith('shell:'):
            out, err, _ = dev.shell(req[len('shell:'):])
            self._okay()
            self.request.sendall(out + err)
        elif req == 'sync:':
            self._okay()
            self._sync(dev)
        else:
            self._fail(f'unknown device service {req!r}')

    def _sync(self, dev: FakeDevice):
        while True:
            head = self._recv_exact(8)
            if head is None:
                return
            cmd, n = head[:4], struct.unpack('<I', head[4:])[0]
            if cmd == b'QUIT':
                return
            arg = self._recv_exact(n).decode()
            if cmd == b'STAT':
                dev.log.append(('stat', arg))
                self.request.sendall(b'STAT' +
                                     struct.pack('<III', *dev.stat(arg)))
            elif cmd == b'SEND':
                path, _, mode = arg.rpartition(',')
                data = b''
                while True:
                    part = self._recv_exact(8)
                    if part is None:
                        return
                    kind, size = part[:4], struct.unpack('<I', part[4:])[0]
                    if kind == b'DATA':
                        data += self._recv_exact(size)
                    elif kind == b'DONE':
                        break
                    else:
                        self._sync_fail('bad SEND chunk')
                        return
                dev.write(path, data, int(mode))
                self.request.sendall(b'OKAY' + struct.pack('<I', 0))
            elif cmd == b'RECV':
                f = dev.files.get(arg)
                if f is None:
                    self._sync_fail(f'{arg}: No such file or directory')
                    continue
                data = f['data']
                for i in range(0, len(data), 65536):
                    chunk = data[i:i + 65536]
                    self.request.sendall(b'DATA' +
                                         struct.pack('<I', len(chunk)) + chunk)
                self.request.sendall(b'DONE' + struct.pack('<I', 0))
            elif cmd == b'LIST':
                prefix = arg.rstrip('/') + '/'
                for path, f in dev.files.items():
                    if path.startswith(
                            prefix) and '/' not in path[len(prefix):]:
                        name = path[len(prefix):].encode()
                        self.request.sendall(b'DENT' + struct.pack(
                            '<IIII', stat.S_IFREG | f['mode'], len(f['data']),
                            f['mtime'], len(name)) + name)
                self.request.sendall(b'DONE' + b'\x00' * 16)
            else:
                self._sync_fail(f'unknown sync command {cmd!r}')
                return

    def _sync_fail(self, msg: str):
        data = msg.encode()
        self.request.sendall(b'FAIL' + struct.pack('<I', len(data)) + data)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class FakeAdbServer:
    """Serve :class:`FakeDevice` s on ``127.0.0.1:<ephemeral port>``.

    Use as a context manager; it also stops by itself after ``lifetime_s``.

    Args:
        devices (list[FakeDevice]): Devices attached to the server.
        version (int): What ``host:version`` answers (41 makes adbutils use
            ``host:tport:serial:``; 40 ``host:transport:``). Defaults to 41.
        lifetime_s (float): Seconds before it shuts itself down.
            Defaults to 120.0.
        io_timeout_s (float): Timeout of every socket read. Defaults to 10.0.
    """

    def __init__(self,
                 devices=(),
                 version: int = 41,
                 lifetime_s: float = 120.0,
                 io_timeout_s: float = 10.0):
        self.devices = {d.serial: d for d in devices}
        self.version = version
        self.io_timeout_s = io_timeout_s
        self.requests: List[str] = []
        self._server = _Server(('127.0.0.1', 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs=dict(poll_interval=0.05),
            daemon=True)
        self._timer = threading.Timer(lifetime_s, self.stop)
        self._timer.daemon = True
        self._stopped = False

    @property
    def host(self) -> str:
        return '127.0.0.1'

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def start(self) -> 'FakeAdbServer':
        self._thread.start()
        self._timer.start()
        return self

    def stop(self):
        if self._stopped:
            return
        self._stopped = True
        self._timer.cancel()
        if self._thread.is_alive():  # shutdown() waits for serve_forever
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> 'FakeAdbServer':
        return self.start()

    def __exit__(self, *exc):
        self.stop()
