using System;
using System.Security.Cryptography;

namespace TailGuard.Boundary;

/// <summary>
/// The native code a <see cref="DriverBackend"/> loads into a Tyche domain: a flat, position-dependent x86-64 image that
/// runs the boundary's entry loop (docs/trust-boundary.md, "The Tyche driver backend"). The backend places it at a
/// page-aligned physical address the binary learns from its registers at first entry, so the code must be
/// position-independent or relocate itself.
/// </summary>
public sealed class DriverDomainBinary
{
    /// <summary>The stack each core gets when none is given: 16 KiB.</summary>
    public const int DefaultStackSize = 16 * 1024;

    /// <summary>The largest image (64 MiB).</summary>
    public const int MaxCodeSize = 64 << 20;

    /// <summary>The largest stack per core (16 MiB).</summary>
    public const int MaxStackSize = 16 << 20;

    private const int Page = 4096;

    /// <summary>An image with its entry point and the stack each core runs on.</summary>
    /// <param name="code">The image's bytes (1 byte to <see cref="MaxCodeSize"/>); copied.</param>
    /// <param name="entryOffset">Where the entry loop starts, from the image's first byte.</param>
    /// <param name="stackSize">Each core's stack, rounded up to 4 KiB (4 KiB to <see cref="MaxStackSize"/>).</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or the entry point is out of range.</exception>
    public DriverDomainBinary(ReadOnlySpan<byte> code, int entryOffset, int stackSize = DefaultStackSize)
    {
        if (code.Length is 0 or > MaxCodeSize)
        {
            throw new ArgumentOutOfRangeException(nameof(code), code.Length, $"A domain binary is 1 byte to {MaxCodeSize} bytes.");
        }

        if ((uint)entryOffset >= (uint)code.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(entryOffset), entryOffset, $"The entry point must lie inside the image's {code.Length} bytes.");
        }

        if (stackSize is < Page or > MaxStackSize)
        {
            throw new ArgumentOutOfRangeException(nameof(stackSize), stackSize, $"A core's stack is {Page} to {MaxStackSize} bytes.");
        }

        Code = code.ToArray();
        EntryOffset = entryOffset;
        StackSize = (stackSize + Page - 1) / Page * Page;
        CodeSize = (Code.Length + Page - 1) / Page * Page;

        // What the monitor hashes at COMMIT: the whole code segment, the image and the zeros that pad it to a page.
        var padded = new byte[CodeSize];
        Code.Span.CopyTo(padded);
        Measurement = SHA256.HashData(padded);
    }

    /// <summary>The image's bytes.</summary>
    public ReadOnlyMemory<byte> Code { get; }

    /// <summary>Where the entry loop starts, from the image's first byte.</summary>
    public int EntryOffset { get; }

    /// <summary>Each core's stack, in bytes (a multiple of 4 KiB).</summary>
    public int StackSize { get; }

    /// <summary>
    /// The measurement a verifier expects for a domain running this binary: the SHA-256 the monitor takes of the code
    /// segment (sent with HASH) at COMMIT, which is the image padded with zeros to a multiple of 4 KiB.
    /// </summary>
    public ReadOnlyMemory<byte> Measurement { get; }

    /// <summary>The code segment's size: the image rounded up to 4 KiB.</summary>
    internal int CodeSize { get; }
}
