using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;
using TailGuard.Load.Timing;
using TailGuard.R2P2;

namespace TailGuard.Load.R2P2;

/// <summary>
/// A Linux UDP socket that asks the kernel for software receive timestamps (SO_TIMESTAMPING with
/// SOF_TIMESTAMPING_RX_SOFTWARE): each datagram carries the time the kernel's network stack received it, read from
/// the control message of recvmmsg. The kernel stamps with CLOCK_REALTIME; each batch converts its stamps to the
/// monotonic clock with the clocks' offset read right after the call (<see cref="RealtimeOffset"/>: a reading the thread
/// was stopped in the middle of is refused), so clock adjustments cannot skew them.
/// </summary>
/// <remarks>
/// The core <see cref="UdpTransport"/> does not request control messages, so this transport has its own (small)
/// receive and send paths; once the core transport exposes receive timestamps this class can go.
/// </remarks>
internal sealed unsafe partial class KernelTimestampingUdpTransport : TimestampingTransport
{
    private const int SolSocket = 1;
    private const int SoTimestamping = 37; // SO_TIMESTAMPING_OLD, = SCM_TIMESTAMPING; 64-bit time on 64-bit Linux
    private const int SofRxSoftware = 1 << 3;
    private const int SofSoftware = 1 << 4;
    private const int MsgDontWait = 0x40;
    private const int MsgTrunc = 0x20;
    private const int EIntr = 4;
    private const short PollIn = 0x1;
    private const ushort AfInet = 2;
    private const int ControlBytes = 64; // cmsghdr (16) + scm_timestamping (3 timespecs, 48)
    private const int MaxBatch = 64;

    private readonly Socket _socket;
    private readonly int _fd;
    private readonly MMsgHdr* _headers;
    private readonly IoVec* _vectors;
    private readonly SockAddrIn* _names;
    private readonly byte* _control;
    private static readonly long OneMicrosecond = Stopwatch.Frequency / 1_000_000;
    private RealtimeOffset _clocks;
    private long _kernelStamps;
    private long _fallbackStamps;
    private int _disposed;

    private KernelTimestampingUdpTransport(Socket socket)
    {
        _socket = socket;
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
        LocalAddress = PacketAddress.FromEndPoint((IPEndPoint)socket.LocalEndPoint!);
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(MaxBatch * sizeof(MMsgHdr)));
        _vectors = (IoVec*)NativeMemory.AllocZeroed((nuint)(MaxBatch * sizeof(IoVec)));
        _names = (SockAddrIn*)NativeMemory.AllocZeroed((nuint)(MaxBatch * sizeof(SockAddrIn)));
        _control = (byte*)NativeMemory.AllocZeroed((nuint)(MaxBatch * ControlBytes));
    }

    public override TimestampSource Source => TimestampSource.KernelSoftware;

    public override PacketAddress LocalAddress { get; }

    public override int MaxDatagramSize => 65507;

    /// <summary>Datagrams that carried a kernel timestamp.</summary>
    public long KernelStamps => Interlocked.Read(ref _kernelStamps);

    /// <summary>The clock offset its stamps are converted with (a copy, for diagnostics; read it when receives are done).</summary>
    public RealtimeOffset Clocks => _clocks;

    /// <summary>Datagrams without one (stamped with the monotonic clock instead).</summary>
    public long FallbackStamps => Interlocked.Read(ref _fallbackStamps);

    /// <summary>Binds a socket with receive timestamping; null where the platform or the kernel refuses it.</summary>
    public static KernelTimestampingUdpTransport? TryBind(IPEndPoint local, UdpTransportOptions options)
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess || local.AddressFamily != AddressFamily.InterNetwork || Stopwatch.Frequency <= 0)
        {
            return null;
        }

        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.ReceiveBufferSize = options.ReceiveBufferBytes;
            socket.SendBufferSize = options.SendBufferBytes;
            Span<byte> flags = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(flags, SofRxSoftware | SofSoftware);
            socket.SetRawSocketOption(SolSocket, SoTimestamping, flags);
            socket.Bind(local);
            return new KernelTimestampingUdpTransport(socket);
        }
        catch (SocketException)
        {
            socket.Dispose();
            return null;
        }
    }

    public override void Send(ReadOnlySpan<PacketBuffer> packets)
    {
        // The transport owns every packet it is given, sent or not (PacketTransport.Send).
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            NoteSend(packets);
            for (var rest = packets; !rest.IsEmpty;)
            {
                var count = Math.Min(rest.Length, MaxBatch);
                SendBatch(rest[..count]);
                rest = rest[count..];
            }
        }
        finally
        {
            ReturnAll(packets);
        }
    }

    public override int Receive(Span<PacketBuffer> buffers, int timeoutMilliseconds)
    {
        if (Volatile.Read(ref _disposed) != 0 || buffers.IsEmpty)
        {
            return 0;
        }

        if (timeoutMilliseconds > 0)
        {
            var poll = new PollFd { Fd = _fd, Events = PollIn };
            if (Interop.poll(&poll, 1, timeoutMilliseconds) <= 0)
            {
                return 0;
            }
        }

        var count = Math.Min(buffers.Length, MaxBatch);
        for (var i = 0; i < count; i++)
        {
            var buffer = buffers[i];
            _vectors[i] = new IoVec { Base = Pointer(buffer), Length = (nuint)buffer.Capacity };
            _headers[i] = default;
            _headers[i].Header.Name = &_names[i];
            _headers[i].Header.NameLength = (uint)sizeof(SockAddrIn);
            _headers[i].Header.Iov = &_vectors[i];
            _headers[i].Header.IovLength = 1;
            _headers[i].Header.Control = _control + i * ControlBytes;
            _headers[i].Header.ControlLength = ControlBytes;
        }

        int received;
        do
        {
            received = Interop.recvmmsg(_fd, _headers, (uint)count, MsgDontWait, null);
        }
        while (received < 0 && Marshal.GetLastPInvokeError() == EIntr);

        if (received <= 0)
        {
            return 0;
        }

        // One offset reading per batch converts the kernel's realtime stamps.
        var monotonicNow = _clocks.Calibrate();
        var kept = 0;
        for (var i = 0; i < received; i++)
        {
            ref var header = ref _headers[i];
            if ((header.Header.Flags & MsgTrunc) != 0)
            {
                continue; // larger than the buffers: dropped, as the core transport drops it
            }

            var buffer = buffers[i];
            buffer.Length = (int)header.Length;
            var name = _names[i];
            buffer.Address = new PacketAddress(BinaryPrimitives.ReverseEndianness(name.AddressBigEndian), BinaryPrimitives.ReverseEndianness(name.PortBigEndian));
            NoteReceive(buffer, Stamp(ref header.Header, monotonicNow));
            if (kept != i)
            {
                (buffers[kept], buffers[i]) = (buffers[i], buffers[kept]);
            }

            kept++;
        }

        return kept;
    }

    protected override void Dispose(bool disposing)
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _socket.Dispose();
            NativeMemory.Free(_headers);
            NativeMemory.Free(_vectors);
            NativeMemory.Free(_names);
            NativeMemory.Free(_control);
        }

        base.Dispose(disposing);
    }

    private static byte* Pointer(PacketBuffer buffer) => (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(buffer.Storage)); // pinned (POH) arrays never move

    /// <summary>The datagram's kernel stamp on the monotonic clock, or now when it carries none (or an implausible one).</summary>
    private long Stamp(ref MsgHdr header, long monotonicNow)
    {
        var cursor = (byte*)header.Control;
        var end = cursor + header.ControlLength;
        while (cursor + sizeof(CmsgHdr) <= end)
        {
            var cmsg = (CmsgHdr*)cursor;
            if (cmsg->Length < (nuint)sizeof(CmsgHdr))
            {
                break;
            }

            if (cmsg->Level == SolSocket && cmsg->Type == SoTimestamping && cmsg->Length >= (nuint)(sizeof(CmsgHdr) + 16))
            {
                var software = (TimeSpec*)(cursor + sizeof(CmsgHdr)); // ts[0]: the software stamp
                if (software->Seconds != 0 || software->Nanoseconds != 0)
                {
                    // Plausible: at most a second old, and no later than now beyond the conversion's own error.
                    var stamp = _clocks.MonotonicAt(software->TotalNanoseconds);
                    if (stamp - monotonicNow <= OneMicrosecond && monotonicNow - stamp < Stopwatch.Frequency)
                    {
                        Interlocked.Increment(ref _kernelStamps);
                        return Math.Min(stamp, monotonicNow);
                    }
                }
            }

            cursor += (cmsg->Length + 7) & ~(nuint)7;
        }

        Interlocked.Increment(ref _fallbackStamps);
        return monotonicNow;
    }

    private void SendBatch(ReadOnlySpan<PacketBuffer> packets)
    {
        var count = packets.Length;
        var headers = stackalloc MMsgHdr[count];
        var vectors = stackalloc IoVec[count];
        var names = stackalloc SockAddrIn[count];
        for (var i = 0; i < count; i++)
        {
            var packet = packets[i];
            names[i] = new SockAddrIn
            {
                Family = AfInet,
                PortBigEndian = BinaryPrimitives.ReverseEndianness(packet.Address.Port),
                AddressBigEndian = BinaryPrimitives.ReverseEndianness(packet.Address.IPv4),
            };
            vectors[i] = new IoVec { Base = Pointer(packet), Length = (nuint)packet.Length };
            headers[i] = default;
            headers[i].Header.Name = &names[i];
            headers[i].Header.NameLength = (uint)sizeof(SockAddrIn);
            headers[i].Header.Iov = &vectors[i];
            headers[i].Header.IovLength = 1;
        }

        var sent = 0;
        while (sent < count)
        {
            var result = Interop.sendmmsg(_fd, headers + sent, (uint)(count - sent), 0);
            if (result > 0)
            {
                sent += result;
            }
            else if (Marshal.GetLastPInvokeError() != EIntr)
            {
                sent++; // refused (buffer full, unreachable): lost, as UDP loses datagrams
            }
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct IoVec
    {
        public void* Base;
        public nuint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public uint NameLength;
        public IoVec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MMsgHdr
    {
        public MsgHdr Header;
        public uint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockAddrIn
    {
        public ushort Family;
        public ushort PortBigEndian;
        public uint AddressBigEndian;
        public ulong Zero;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CmsgHdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    private static partial class Interop
    {
        [LibraryImport("libc", SetLastError = true)]
        public static partial int recvmmsg(int socket, MMsgHdr* messages, uint count, int flags, void* timeout);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int sendmmsg(int socket, MMsgHdr* messages, uint count, int flags);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int poll(PollFd* fds, nuint count, int timeoutMilliseconds);
    }
}
