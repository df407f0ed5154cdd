using System;
using System.Buffers.Binary;
using static TailGuard.Transport.Xdp.Bpf.BpfOpcodes;

namespace TailGuard.Transport.Xdp.Bpf;

/// <summary>
/// The XDP program, written as eBPF instructions: an IPv4 or IPv6 UDP datagram to one of the service's ports goes to
/// the AF_XDP socket of the receive queue it arrived on (the XSKMAP, keyed by queue); everything else passes to the
/// kernel untouched. It reads as few bytes as it can and judges nothing else: whether the headers are well formed is
/// the transport's check (docs/xdp.md, "What the program matches").
/// </summary>
/// <remarks>
/// What it redirects: Ethernet type 0x0800 with protocol 17, fragment offset 0 (a first fragment has the UDP header),
/// any header length from 20 to 60 bytes (options are dropped and counted by the transport, not handed to a kernel
/// that has no socket for them), and the destination port within the frame; Ethernet type 0x86DD with next header 17
/// directly after the fixed header. What it passes: everything else, among it later IPv4 fragments (they carry no
/// port), IPv6 with extension headers (fragments among them), VLAN-tagged frames, and headers cut short before the
/// port. A matching frame whose queue has no socket passes too (redirect's default action), and is counted.
/// Counters (a per-CPU array, read by <see cref="XdpTransport.Statistics"/>): <see cref="CounterRedirected"/>,
/// <see cref="CounterPassed"/>, <see cref="CounterNoSocket"/>.
/// </remarks>
internal static class XdpClassifier
{
    /// <summary>Matching frames handed to bpf_redirect_map.</summary>
    public const int CounterRedirected = 0;

    /// <summary>Frames passed to the kernel because they are not the service's.</summary>
    public const int CounterPassed = 1;

    /// <summary>Matching frames that passed to the kernel because no socket serves their receive queue.</summary>
    public const int CounterNoSocket = 2;

    /// <summary>How many counters the program keeps.</summary>
    public const int Counters = 3;

    /// <summary>The license the program declares (it calls no GPL-only helper).</summary>
    public const string License = "MIT";

    private const int Ctx = 6;
    private const int Verdict = 7;
    private const int EthernetLength = 14;

    /// <summary>Builds the program for these ports, the XSKMAP and the counters map.</summary>
    public static BpfInstruction[] Build(int xskMapFd, int countersMapFd, ReadOnlySpan<ushort> ports)
    {
        if (ports.IsEmpty)
        {
            throw new ArgumentException("The XDP program needs at least one port to match.", nameof(ports));
        }

        var asm = new BpfAssembler();
        asm.MovRegister(Ctx, 1);
        asm.Load(SizeWord, 2, Ctx, 0);                        // r2 = xdp_md->data
        asm.Load(SizeWord, 3, Ctx, 4);                        // r3 = xdp_md->data_end
        asm.MovImmediate(Verdict, CounterPassed);

        asm.MovRegister(4, 2);
        asm.AddImmediate(4, EthernetLength);
        asm.JumpIfRegister(Jgt, 4, 3, "count");           // no whole Ethernet header
        asm.Load(SizeHalf, 5, 2, 12);                         // EtherType, loaded little-endian
        asm.JumpIf(Jeq, 5, 0x0008, "ipv4");
        asm.JumpIf(Jne, 5, 0xDD86, "count");

        // IPv6: next header at 14 + 6, UDP destination port at 14 + 40 + 2.
        asm.MovRegister(4, 2);
        asm.AddImmediate(4, EthernetLength + 40 + 4);
        asm.JumpIfRegister(Jgt, 4, 3, "count");
        asm.Load(SizeByte, 5, 2, EthernetLength + 6);
        asm.JumpIf(Jne, 5, 17, "count");
        asm.Load(SizeHalf, 5, 2, EthernetLength + 40 + 2);
        asm.Jump("port");

        // IPv4: protocol at 14 + 9; flags and fragment offset at 14 + 6; UDP after IHL * 4 bytes.
        asm.Label("ipv4");
        asm.MovRegister(4, 2);
        asm.AddImmediate(4, EthernetLength + 20);
        asm.JumpIfRegister(Jgt, 4, 3, "count");
        asm.Load(SizeByte, 5, 2, EthernetLength + 9);
        asm.JumpIf(Jne, 5, 17, "count");
        asm.Load(SizeHalf, 5, 2, EthernetLength + 6);
        asm.AndImmediate(5, 0xFF1F);                      // the 13 offset bits, as loaded little-endian
        asm.JumpIf(Jne, 5, 0, "count");                   // a later fragment: no UDP header, the kernel's
        asm.Load(SizeByte, 5, 2, EthernetLength);
        asm.AndImmediate(5, 0x0F);
        asm.ShiftLeft(5, 2);                              // IHL * 4, 0..60
        asm.JumpIf(Jlt, 5, 20, "count");
        asm.MovRegister(4, 2);
        asm.AddRegister(4, 5);                            // r4 = data + IHL * 4
        asm.MovRegister(0, 4);
        asm.AddImmediate(0, EthernetLength + 4);
        asm.JumpIfRegister(Jgt, 0, 3, "count");
        asm.Load(SizeHalf, 5, 4, EthernetLength + 2);

        asm.Label("port");
        foreach (var port in ports)
        {
            asm.JumpIf(Jeq, 5, BinaryPrimitives.ReverseEndianness(port), "match");
        }

        asm.Jump("count");
        asm.Label("match");
        asm.MovImmediate(Verdict, CounterRedirected);

        asm.Label("count");
        Count(asm, countersMapFd, "decide");
        asm.Label("decide");
        asm.JumpIf(Jne, Verdict, CounterRedirected, "pass");
        asm.Load(SizeWord, 2, Ctx, 16);                       // xdp_md->rx_queue_index
        asm.LoadMap(1, xskMapFd);
        asm.MovImmediate(3, BpfSyscall.XdpPass);          // no socket on this queue: the kernel's
        asm.Call(BpfSyscall.HelperRedirectMap);
        asm.JumpIf(Jne, 0, BpfSyscall.XdpPass, "exit");
        asm.MovImmediate(Verdict, CounterNoSocket);
        Count(asm, countersMapFd, "pass");

        asm.Label("pass");
        asm.MovImmediate(0, BpfSyscall.XdpPass);
        asm.Label("exit");
        asm.Exit();
        return asm.Assemble();
    }

    /// <summary>counters[verdict] += 1 on this CPU, then goto <paramref name="next"/>.</summary>
    private static void Count(BpfAssembler asm, int countersMapFd, string next)
    {
        asm.Store(SizeWord, 10, -4, Verdict);
        asm.MovRegister(2, 10);
        asm.AddImmediate(2, -4);
        asm.LoadMap(1, countersMapFd);
        asm.Call(BpfSyscall.HelperMapLookupElement);
        asm.JumpIf(Jeq, 0, 0, next);
        asm.Load(SizeDoubleWord, 1, 0, 0);
        asm.AddImmediate(1, 1);
        asm.Store(SizeDoubleWord, 0, 0, 1);
        asm.Jump(next);
    }
}
