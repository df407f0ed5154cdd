using System;

namespace TailGuard.Boundary.Tests.Contracts;

/// <summary>Values with invalid bit patterns: decimals by value, in spans, and back from the host.</summary>
[TrustDomain]
public interface ILedger
{
    decimal Add(decimal a, decimal b);

    int Count([Bounded(8)] ReadOnlySpan<decimal> amounts);

    decimal Convert(decimal amount);
}

/// <summary>What the host offers the ledger: a rate, which a lying host may return malformed (Iago).</summary>
[HostCalls]
public interface IRates
{
    decimal Rate();

    void Recent([Bounded(4)] Span<decimal> rates);
}

internal sealed class Rates : IRates
{
    public decimal Rate() => 1.25m;

    public void Recent(Span<decimal> rates) => rates.Fill(2.5m);
}

internal sealed class Ledger(IRates? rates) : ILedger
{
    public int Calls;

    public decimal Add(decimal a, decimal b)
    {
        Calls++;
        return a + b;
    }

    public int Count(ReadOnlySpan<decimal> amounts)
    {
        Calls++;
        return amounts.Length;
    }

    public decimal Convert(decimal amount)
    {
        Calls++;
        Span<decimal> recent = stackalloc decimal[4];
        rates!.Recent(recent);
        return amount * rates.Rate() * recent[0];
    }
}
