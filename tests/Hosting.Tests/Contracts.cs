using System;
using System.Threading;
using TailGuard;

namespace TailGuard.Hosting.Tests;

/// <summary>A small service for the hosting tests: an adder whose behaviour each test sets.</summary>
[R2P2Service]
public interface ICalculator
{
    /// <summary>a + b.</summary>
    int Add(int a, int b);
}

/// <summary>Adds; throws for a = -1 (a handler failure), waits <see cref="Delay"/> first.</summary>
public sealed class Calculator : ICalculator
{
    public TimeSpan Delay { get; set; }

    public int Add(int a, int b)
    {
        if (Delay > TimeSpan.Zero)
        {
            Thread.Sleep(Delay);
        }

        return a == -1 ? throw new InvalidOperationException("planted handler failure") : a + b;
    }
}

/// <summary>A trust-domain service for AddTrustDomain.</summary>
[TrustDomain]
public interface ICounter
{
    /// <summary>Adds <paramref name="amount"/> to the domain's private count and returns it.</summary>
    long Increment(int amount);
}

public sealed class Counter : ICounter
{
    private long _count;

    /// <summary>Adds; int.MinValue is a planted fault of the implementation (the boundary refuses the call: a violation).</summary>
    public long Increment(int amount) => amount == int.MinValue ? throw new InvalidOperationException("planted domain fault") : _count += amount;
}
