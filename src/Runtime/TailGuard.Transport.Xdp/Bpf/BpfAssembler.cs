using System;
using System.Collections.Generic;
using static TailGuard.Transport.Xdp.Bpf.BpfOpcodes;

namespace TailGuard.Transport.Xdp.Bpf;

/// <summary>
/// Writes eBPF instructions with named labels, so a program reads as the assembly it is and jumps need no hand-counted
/// offsets. <see cref="Assemble"/> resolves every jump (a jump's offset counts instructions after the jump) and fails on
/// a label that was used but never placed.
/// </summary>
internal sealed class BpfAssembler
{
    private readonly List<BpfInstruction> _instructions = [];
    private readonly Dictionary<string, int> _labels = new(StringComparer.Ordinal);
    private readonly List<(int Index, string Label)> _jumps = [];

    /// <summary>Places <paramref name="label"/> at the next instruction.</summary>
    public void Label(string label)
    {
        if (!_labels.TryAdd(label, _instructions.Count))
        {
            throw new InvalidOperationException($"The BPF label '{label}' is placed twice.");
        }
    }

    /// <summary>dst = imm (64-bit).</summary>
    public void MovImmediate(int destination, int immediate) => Emit(Alu64 | Mov | K, destination, 0, 0, immediate);

    /// <summary>dst = src (64-bit).</summary>
    public void MovRegister(int destination, int source) => Emit(Alu64 | Mov | X, destination, source, 0, 0);

    /// <summary>dst += imm.</summary>
    public void AddImmediate(int destination, int immediate) => Emit(Alu64 | Add | K, destination, 0, 0, immediate);

    /// <summary>dst += src.</summary>
    public void AddRegister(int destination, int source) => Emit(Alu64 | Add | X, destination, source, 0, 0);

    /// <summary>dst &amp;= imm.</summary>
    public void AndImmediate(int destination, int immediate) => Emit(Alu64 | And | K, destination, 0, 0, immediate);

    /// <summary>dst &lt;&lt;= imm.</summary>
    public void ShiftLeft(int destination, int immediate) => Emit(Alu64 | Lsh | K, destination, 0, 0, immediate);

    /// <summary>dst = *(size *)(src + offset), zero-extended.</summary>
    public void Load(byte size, int destination, int source, short offset) => Emit((byte)(Ldx | Memory | size), destination, source, offset, 0);

    /// <summary>*(size *)(dst + offset) = src.</summary>
    public void Store(byte size, int destination, short offset, int source) => Emit((byte)(Stx | Memory | size), destination, source, offset, 0);

    /// <summary>dst = the map behind file descriptor <paramref name="mapFd"/> (a two-slot 64-bit immediate load the kernel rewrites).</summary>
    public void LoadMap(int destination, int mapFd)
    {
        Emit(Ld | Immediate | SizeDoubleWord, destination, PseudoMapFd, 0, mapFd);
        Emit(0, 0, 0, 0, 0);
    }

    /// <summary>if (dst OP imm) goto label.</summary>
    public void JumpIf(byte operation, int destination, int immediate, string label)
    {
        _jumps.Add((_instructions.Count, label));
        Emit((byte)(Jmp | operation | K), destination, 0, 0, immediate);
    }

    /// <summary>if (dst OP src) goto label.</summary>
    public void JumpIfRegister(byte operation, int destination, int source, string label)
    {
        _jumps.Add((_instructions.Count, label));
        Emit((byte)(Jmp | operation | X), destination, source, 0, 0);
    }

    /// <summary>goto label.</summary>
    public void Jump(string label)
    {
        _jumps.Add((_instructions.Count, label));
        Emit(Jmp | Ja, 0, 0, 0, 0);
    }

    /// <summary>r0 = helper(r1..r5); r1-r5 are clobbered, r6-r9 kept.</summary>
    public void Call(int helper) => Emit(Jmp | JumpCall, 0, 0, 0, helper);

    /// <summary>return r0.</summary>
    public void Exit() => Emit(Jmp | JumpExit, 0, 0, 0, 0);

    /// <summary>The program, every jump resolved.</summary>
    public BpfInstruction[] Assemble()
    {
        var program = _instructions.ToArray();
        foreach (var (index, label) in _jumps)
        {
            if (!_labels.TryGetValue(label, out var target))
            {
                throw new InvalidOperationException($"The BPF label '{label}' is used but never placed.");
            }

            var jump = program[index];
            program[index] = new BpfInstruction(jump.Opcode, jump.Destination, jump.Source, checked((short)(target - index - 1)), jump.Immediate);
        }

        return program;
    }

    private void Emit(int opcode, int destination, int source, short offset, int immediate)
        => _instructions.Add(new BpfInstruction((byte)opcode, (byte)destination, (byte)source, offset, immediate));
}
