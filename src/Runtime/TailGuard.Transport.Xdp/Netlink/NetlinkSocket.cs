using System;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Threading;
using TailGuard.Transport.Xdp.Interop;

namespace TailGuard.Transport.Xdp.Netlink;

/// <summary>
/// A NETLINK_ROUTE socket, opened in the caller's network namespace and kept there for its life. One request at a time
/// (a lock), each answered within <see cref="ReplyTimeout"/> (SO_RCVTIMEO: a kernel that does not answer is an error,
/// not a hang). Requests and replies live in native buffers owned by the socket, so a lookup allocates nothing.
/// Errors carry the kernel's extended-ack text when it gives one.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    public const int HeaderSize = 16;
    public const ushort MessageError = 2;
    public const ushort MessageDone = 3;
    public const ushort FlagRequest = 0x1;
    public const ushort FlagMulti = 0x2;
    public const ushort FlagAck = 0x4;
    public const ushort FlagDump = 0x300;
    public const ushort FlagReplace = 0x100;
    public const ushort FlagCreate = 0x400;
    public const ushort FlagAckTlvs = 0x200;

    private const int SolNetlink = 270;
    private const int NetlinkCapAck = 10;
    private const int NetlinkExtAck = 11;
    private const int RequestCapacity = 1024;
    private const int ReplyCapacity = 64 * 1024;

    public static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(2);

    private readonly FileDescriptor _fd;
    private readonly Lock _gate = new();

    // Pinned arrays rather than native memory: a request racing with Dispose never touches freed memory.
    private readonly byte[] _requestBuffer = GC.AllocateArray<byte>(RequestCapacity, pinned: true);
    private readonly byte[] _replyBuffer = GC.AllocateArray<byte>(ReplyCapacity, pinned: true);
    private readonly byte* _request;
    private readonly byte* _reply;
    private uint _sequence;
    private bool _disposed;

    private NetlinkSocket(FileDescriptor fd)
    {
        _fd = fd;
        _request = (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_requestBuffer));
        _reply = (byte*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_replyBuffer));
    }

    /// <summary>The lock a caller holds across <see cref="Begin"/>, <see cref="Transact"/> and reading the reply.</summary>
    public Lock Gate => _gate;

    public static NetlinkSocket Open()
    {
        var fd = Libc.socket(Libc.AfNetlink, Libc.SockRaw | Libc.SockCloexec, 0);
        if (fd < 0)
        {
            throw new XdpException($"Cannot open a netlink socket: {Libc.Describe(Libc.LastError)}.");
        }

        var handle = new FileDescriptor(fd);
        var one = 1;
        Libc.setsockopt(fd, SolNetlink, NetlinkExtAck, &one, sizeof(int));
        Libc.setsockopt(fd, SolNetlink, NetlinkCapAck, &one, sizeof(int));
        var timeout = new Libc.TimeVal { Seconds = (long)ReplyTimeout.TotalSeconds };
        Libc.setsockopt(fd, Libc.SolSocket, Libc.SoRcvTimeo, &timeout, (uint)sizeof(Libc.TimeVal));
        Libc.setsockopt(fd, Libc.SolSocket, Libc.SoSndTimeo, &timeout, (uint)sizeof(Libc.TimeVal));
        return new NetlinkSocket(handle);
    }

    /// <summary>Starts a request in the socket's buffer (the caller holds <see cref="Gate"/>).</summary>
    public NetlinkWriter Begin(ushort type, ushort flags)
    {
        var writer = new NetlinkWriter(new Span<byte>(_request, RequestCapacity));
        writer.Header(type, (ushort)(flags | FlagRequest), ++_sequence);
        return writer;
    }

    /// <summary>
    /// Sends the request and collects its reply: every message of a dump (until DONE), or the one answer (or ack) of a
    /// plain request. Returns 0 and the reply bytes (valid until the next request), or a negative errno with the
    /// kernel's message in <paramref name="error"/>.
    /// </summary>
    public int Transact(ref NetlinkWriter request, out ReadOnlySpan<byte> reply, out string? error)
    {
        reply = default;
        error = null;
        if (_disposed)
        {
            return -Libc.EBadF; // closed: never touch a descriptor number that may now be someone else's
        }

        var length = request.Finish();
        var sequence = _sequence;
        var dump = (BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(_request + 6, 2)) & FlagDump) == FlagDump;
        var kernel = stackalloc byte[12]; // sockaddr_nl of the kernel: family AF_NETLINK, pid 0
        new Span<byte>(kernel, 12).Clear();
        kernel[0] = Libc.AfNetlink;
        if (Libc.sendto(_fd.Value, _request, (nuint)length, 0, kernel, 12) < 0)
        {
            return -Libc.LastError;
        }

        var filled = 0;
        while (true)
        {
            var received = Libc.recvfrom(_fd.Value, _reply + filled, (nuint)(ReplyCapacity - filled), 0, null, null);
            if (received < 0)
            {
                var errno = Libc.LastError;
                if (errno == Libc.EIntr)
                {
                    continue;
                }

                error = errno == Libc.EAgain ? $"the kernel did not answer a netlink request within {ReplyTimeout.TotalSeconds:0} s" : null;
                return -errno;
            }

            // Walk the new messages: drop stale ones (another sequence), stop at an error, DONE, or the one answer.
            var chunk = new ReadOnlySpan<byte>(_reply + filled, (int)received);
            var kept = 0;
            var finished = false;
            var reader = new NetlinkReader(chunk);
            while (reader.TryNext(out var message))
            {
                if (message.Sequence != sequence)
                {
                    continue;
                }

                if (message.Type == MessageError)
                {
                    var code = message.Payload.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(message.Payload) : -Libc.EInval;
                    if (code != 0)
                    {
                        error = ExtendedAckMessage(message);
                        return code;
                    }

                    finished = true; // an ack
                    break;
                }

                if (message.Type == MessageDone)
                {
                    finished = true;
                    break;
                }

                // Keep it: move it down over stale messages so the reply is contiguous.
                message.Raw.CopyTo(new Span<byte>(_reply + filled + kept, message.Raw.Length));
                kept += message.Raw.Length;
                if (!dump && (message.Flags & FlagMulti) == 0)
                {
                    finished = true;
                    break;
                }
            }

            filled += kept;
            if (finished)
            {
                reply = new ReadOnlySpan<byte>(_reply, filled);
                return 0;
            }

            if (filled >= ReplyCapacity - 8192)
            {
                error = "a netlink reply was larger than the transport reads";
                return -Libc.ENoBufs;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _fd.Dispose();
        }
    }

    /// <summary>The NLMSGERR_ATTR_MSG text after a capped error (struct nlmsgerr is 20 bytes), when the kernel sent one.</summary>
    private static string? ExtendedAckMessage(NetlinkMessage message)
    {
        if ((message.Flags & FlagAckTlvs) == 0 || message.Payload.Length <= 20)
        {
            return null;
        }

        foreach (var attribute in new NetlinkAttributes(message.Payload[20..]))
        {
            if (attribute.Type == 1)
            {
                var text = attribute.Value;
                var end = text.IndexOf((byte)0);
                return System.Text.Encoding.UTF8.GetString(end >= 0 ? text[..end] : text);
            }
        }

        return null;
    }
}
