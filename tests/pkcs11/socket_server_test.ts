import assert from "node:assert/strict";
import { join } from "node:path";
import { CKR } from "../../src/pkcs11/constants.ts";
import { Pkcs11Dispatcher } from "../../src/pkcs11/dispatcher.ts";
import { RpcClient } from "../../src/pkcs11/rpc_client.ts";
import { Pkcs11SocketServer } from "../../src/pkcs11/socket_server.ts";
import { FakeBackend } from "./_fake_backend.ts";
import { closedByPeer, startTestSocket } from "./_socket.ts";

Deno.test("the socket answers protocol version 0 to any client version", async () => {
  const t = await startTestSocket();
  try {
    for (const version of [0, 1, 255]) {
      const conn = await Deno.connect({ transport: "unix", path: t.path });
      try {
        await conn.write(Uint8Array.of(version));
        const reply = new Uint8Array(1);
        assert.equal(await conn.read(reply), 1);
        assert.equal(reply[0], 0);
      } finally {
        conn.close();
      }
    }
  } finally {
    await t.close();
  }
});

Deno.test("a client initializes and reads the token over the socket", async () => {
  const t = await startTestSocket();
  const client = await RpcClient.connect(t.path);
  try {
    assert.equal((await client.initialize()).rv, CKR.OK);
    const info = await client.call("C_GetTokenInfo", [1]);
    assert.equal(info.rv, CKR.OK);
    assert.equal(new TextDecoder().decode(info.values[3] as Uint8Array), "feedfacecafebeef");
  } finally {
    client.close();
    await t.close();
  }
});

Deno.test("the socket file is 0660 and removed on close", async () => {
  const t = await startTestSocket();
  try {
    assert.equal(((await Deno.lstat(t.path)).mode ?? 0) & 0o777, 0o660);
  } finally {
    await t.server.close();
  }
  await assert.rejects(() => Deno.lstat(t.path), Deno.errors.NotFound);
  await Deno.remove(t.dir, { recursive: true });
});

Deno.test("a world-writable directory, a file in the way and a live socket are refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-p11-" });
  const dispatcher = new Pkcs11Dispatcher(new FakeBackend(), { serial: "1" });
  try {
    await Deno.chmod(dir, 0o777);
    await assert.rejects(
      () => Pkcs11SocketServer.listen(dispatcher, { path: join(dir, "s.sock") }),
      /world-writable/,
    );
    await Deno.chmod(dir, 0o700);
    await Deno.writeTextFile(join(dir, "file"), "x");
    await assert.rejects(
      () => Pkcs11SocketServer.listen(dispatcher, { path: join(dir, "file") }),
      /not a socket/,
    );
    const live = await Pkcs11SocketServer.listen(dispatcher, { path: join(dir, "s.sock") });
    try {
      await assert.rejects(
        () => Pkcs11SocketServer.listen(dispatcher, { path: join(dir, "s.sock") }),
        /another server/,
      );
    } finally {
      await live.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a stale socket file left by a crash is replaced", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ferrohsm-p11-" });
  const path = join(dir, "s.sock");
  try {
    // A process that exits without closing its listener leaves the file, as a crash would.
    const code = `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} }); Deno.exit(0);`;
    await new Deno.Command(Deno.execPath(), { args: ["eval", code], stdout: "null" }).output();
    assert.ok((await Deno.lstat(path)).isSocket);
    const server = await Pkcs11SocketServer.listen(
      new Pkcs11Dispatcher(new FakeBackend(), { serial: "1" }),
      { path },
    );
    const client = await RpcClient.connect(path);
    client.close();
    await server.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an over-size frame or frame code 0 closes only that connection", async () => {
  const t = await startTestSocket({ maxMessageBytes: 1024 });
  const good = await RpcClient.connect(t.path);
  try {
    assert.equal((await good.initialize()).rv, CKR.OK);
    for (const header of ["000000100000000000100000", "000000000000000000000004"]) {
      const bad = await Deno.connect({ transport: "unix", path: t.path });
      try {
        await bad.write(Uint8Array.of(0));
        await bad.read(new Uint8Array(1));
        await bad.write(Uint8Array.from(header.match(/../g) ?? [], (h) => parseInt(h, 16)));
        assert.equal(await closedByPeer(bad), true);
      } finally {
        bad.close();
      }
    }
    assert.equal((await good.call("C_GetInfo", [])).rv, CKR.OK);
    assert.equal(t.logs.filter((l) => l.level === "error").length, 0);
  } finally {
    good.close();
    await t.close();
  }
});

Deno.test("connections beyond the limit are closed on accept", async () => {
  const t = await startTestSocket({ maxConnections: 1 });
  const first = await RpcClient.connect(t.path);
  try {
    const second = await Deno.connect({ transport: "unix", path: t.path });
    try {
      await second.write(Uint8Array.of(0)).catch(() => 0);
      assert.equal(await closedByPeer(second), true);
    } finally {
      second.close();
    }
    assert.equal((await first.initialize()).rv, CKR.OK);
  } finally {
    first.close();
    await t.close();
  }
});
