using System;
using System.Buffers;

namespace TailGuard.Tests.R2P2.Infrastructure;

internal static class Payloads
{
    /// <summary>A deterministic payload whose bytes depend on its length and a tag, so mix-ups show.</summary>
    public static byte[] Make(int length, int tag = 0)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)((i * 31) + tag + (length * 7));
        }

        return bytes;
    }

    public static byte[] ToArray(in ReadOnlySequence<byte> sequence) => sequence.ToArray();

    public static readonly TimeSpan Generous = TimeSpan.FromSeconds(10);
}
