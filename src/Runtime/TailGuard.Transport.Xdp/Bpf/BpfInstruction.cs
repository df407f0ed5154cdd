using System.Runtime.InteropServices;

namespace TailGuard.Transport.Xdp.Bpf;

/// <summary>
/// One eBPF instruction as the kernel reads it (struct bpf_insn, 8 bytes): opcode, destination and source registers in
/// one byte (destination in the low nibble), a signed 16-bit offset and a signed 32-bit immediate.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal readonly struct BpfInstruction
{
    public BpfInstruction(byte opcode, byte destination, byte source, short offset, int immediate)
    {
        Opcode = opcode;
        Registers = (byte)((destination & 0x0F) | ((source & 0x0F) << 4));
        Offset = offset;
        Immediate = immediate;
    }

    public byte Opcode { get; }

    public byte Registers { get; }

    public short Offset { get; }

    public int Immediate { get; }

    public byte Destination => (byte)(Registers & 0x0F);

    public byte Source => (byte)(Registers >> 4);

    public override string ToString() => $"op=0x{Opcode:x2} dst=r{Destination} src=r{Source} off={Offset} imm={Immediate}";
}

/// <summary>The opcode parts of eBPF (instruction classes, sizes, modes, ALU and jump operations), as the kernel's uapi header defines them.</summary>
internal static class BpfOpcodes
{
    // Classes.
    public const byte Ld = 0x00;
    public const byte Ldx = 0x01;
    public const byte St = 0x02;
    public const byte Stx = 0x03;
    public const byte Jmp = 0x05;
    public const byte Alu64 = 0x07;

    // Sizes.
    public const byte SizeWord = 0x00;
    public const byte SizeHalf = 0x08;
    public const byte SizeByte = 0x10;
    public const byte SizeDoubleWord = 0x18;

    // Modes.
    public const byte Immediate = 0x00;
    public const byte Memory = 0x60;

    // Operand source: the immediate (K) or a register (X).
    public const byte K = 0x00;
    public const byte X = 0x08;

    // ALU operations.
    public const byte Add = 0x00;
    public const byte And = 0x50;
    public const byte Lsh = 0x60;
    public const byte Mov = 0xb0;

    // Jump operations.
    public const byte Ja = 0x00;
    public const byte Jeq = 0x10;
    public const byte Jgt = 0x20;
    public const byte Jne = 0x50;
    public const byte JumpCall = 0x80;
    public const byte JumpExit = 0x90;
    public const byte Jlt = 0xa0;

    /// <summary>The source-register value of a 64-bit immediate load that the kernel turns into a map pointer (BPF_PSEUDO_MAP_FD).</summary>
    public const byte PseudoMapFd = 1;
}
