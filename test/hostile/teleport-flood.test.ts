/**
 * An authenticated source that sends junk (issue 13 item 2, last point): the target checks the stream's header
 * first and loads the stream as frames arrive, so memory is bounded by what the VM's RAM can justify.
 *
 * Goal: a stream that does not start with a saved-state header is NACKed (VERR_SSM_INTEGRITY_MAGIC) as soon as
 * its first frame is in, without waiting for the end frame (today the target buffers until the end); a stream
 * with a valid header and a unit that never ends — many records, or one record claiming 1 GiB — is refused with
 * VERR_TOO_MUCH_DATA once the unit needs more than the VM's RAM + 1/16 + 4 MiB (8.25 MiB for 4 MiB of RAM),
 * while the source could push at most a few frames and the socket buffers beyond that (today 800 MiB of junk is
 * all buffered: 1.7 GB RSS). bench/teleport-flood.ts measures the peak RSS.
 * Method: a TLS-PSK fake source that passes the handshake, then writes frames with backpressure until the target
 * answers; the saved-state header and a unit header are taken from a real save of a VM.
 */
import { describe, expect, it } from 'vitest';
import { VERR_SSM_INTEGRITY_MAGIC, VERR_TOO_MUCH_DATA } from '../../src/index.js';
import { MemorySink } from '../../src/ssm/sinks.js';
import type { TeleportChannel } from '../../src/teleport/channel.js';
import { checkNoTcpLeaks, fakeSource, listen } from '../teleport/net-support.js';
import { engine, MiB, newVm } from '../teleport/support.js';

checkNoTcpLeaks();

const RAM = 4 * MiB;
const FLOOD = 128 * MiB;
const TARGET_FAILED = ['CREATED>LOADING', 'LOADING>LOAD_FAILURE', 'LOAD_FAILURE>POWERING_OFF', 'POWERING_OFF>OFF', 'OFF>DESTROYING', 'DESTROYING>TERMINATED'];

/** The file header and the first unit's header of a real saved state. */
async function realHeaders(): Promise<Buffer> {
  const { vm } = await newVm({ ram: { sizeBytes: 256 * 1024 } });
  await vm.suspend();
  const sink = new MemorySink();
  await vm.save(sink);
  const bytes = Buffer.concat(sink.chunks);
  const cbName = bytes.readUInt32LE(64 + 40);
  return bytes.subarray(0, 64 + 44 + cbName);
}

/** A data record header (type RAW) whose size takes the UTF-8-like 4-byte (≤ 2 MiB) or 6-byte (≤ 2 GiB) form. */
function recordHeader(cb: number): Buffer {
  if (cb < 1 << 21) return Buffer.of(0x82, 0xf0 | (cb >>> 18), 0x80 | ((cb >>> 12) & 0x3f), 0x80 | ((cb >>> 6) & 0x3f), 0x80 | (cb & 0x3f));
  return Buffer.of(0x82, 0xfc | (cb >>> 30), ...[24, 18, 12, 6, 0].map((shift) => 0x80 | ((cb >>> shift) & 0x3f)));
}

async function loadingSource(port: number): Promise<TeleportChannel> {
  const { channel } = await fakeSource(port);
  expect(await channel.readLine('the welcome')).toBe('VirtualBox-Teleporter-1.0');
  channel.writeLine('load');
  expect(await channel.readLine('the load reply')).toBe('ACK');
  return channel;
}

/** Write `frames()` until FLOOD bytes or the target answers / drops; resolves with the bytes that got out. */
async function flood(channel: TeleportChannel, first: Buffer, next: () => Buffer): Promise<number> {
  channel.writeFrame(first);
  while (channel.bytesOut < FLOOD && !channel.failure && channel.unread === 0) {
    channel.writeFrame(next());
    await new Promise<void>((resolve) => channel.whenFlushed(resolve));
  }
  return channel.bytesOut;
}

describe('teleport target under a junk stream', () => {
  it('no saved-state header: NACK VERR_SSM_INTEGRITY_MAGIC from the first frame, no end frame needed', async () => {
    const listening = await listen(engine(), { ram: { sizeBytes: RAM }, stallTimeoutMs: 60_000 });
    const channel = await loadingSource(listening.port);
    channel.writeFrame(Buffer.alloc(4096, 0x41));
    expect(await channel.readLine('the NACK')).toMatch(new RegExp(`^NACK=${VERR_SSM_INTEGRITY_MAGIC};`));
    channel.writeCancel();
    await expect(listening.target).rejects.toMatchObject({ rc: VERR_SSM_INTEGRITY_MAGIC });
    expect(listening.states).toEqual(TARGET_FAILED);
    channel.destroy();
  });

  it.each([
    ['a unit of endless 1 MiB records', (): Buffer => {
      const payload = Buffer.alloc(MiB - 5, 0x5a);
      return Buffer.concat([recordHeader(payload.length), payload]);
    }],
    ['one record claiming 1 GiB', (() => {
      let sent = false;
      return (): Buffer => {
        const bytes = sent ? Buffer.alloc(MiB, 0x5a) : Buffer.concat([recordHeader(1 << 30), Buffer.alloc(MiB - 7, 0x5a)]);
        sent = true;
        return bytes;
      };
    })()],
  ] as const)('a valid header, then %s: VERR_TOO_MUCH_DATA at the VM’s limit, not after 128 MiB', async (_name, next) => {
    const listening = await listen(engine(), { ram: { sizeBytes: RAM }, stallTimeoutMs: 60_000 });
    const channel = await loadingSource(listening.port);
    const bytesOut = await flood(channel, await realHeaders(), next);
    expect(bytesOut).toBeLessThan(40 * MiB); // the limit (8.25 MiB) plus what socket buffers hold
    expect(await channel.readLine('the NACK')).toMatch(new RegExp(`^NACK=${VERR_TOO_MUCH_DATA};`));
    if (!channel.failure) channel.writeCancel();
    await expect(listening.target).rejects.toMatchObject({ rc: VERR_TOO_MUCH_DATA });
    expect(listening.states).toEqual(TARGET_FAILED);
    channel.destroy();
  });
});
