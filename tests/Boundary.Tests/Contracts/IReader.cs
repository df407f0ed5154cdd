using System;

namespace TailGuard.Boundary.Tests.Contracts;

/// <summary>What the host offers the domain (calls out of the domain).</summary>
[HostCalls]
public interface IStorage
{
    int Read(long position, [Bounded(64)] Span<byte> destination);

    long Now();
}

/// <summary>A domain service that reads through the host.</summary>
[TrustDomain]
public interface IReader
{
    int Fetch(long position, [Bounded(64)] Span<byte> destination);

    long Time();
}

internal sealed class Storage : IStorage
{
    public int Reads;

    public int Read(long position, Span<byte> destination)
    {
        Reads++;
        for (int index = 0; index < destination.Length; index++)
        {
            destination[index] = (byte)(position + index);
        }

        return destination.Length;
    }

    public long Now() => 1_700_000_000;
}

/// <summary>Lives in the domain; everything it gets from the host went through the generated, validating proxy.</summary>
internal sealed class Reader(IStorage host) : IReader
{
    public int Fetch(long position, Span<byte> destination) => host.Read(position, destination);

    public long Time() => host.Now();
}
