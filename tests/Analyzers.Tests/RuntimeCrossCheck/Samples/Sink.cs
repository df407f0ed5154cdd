using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

namespace TailGuard.Analyzers.Tests.RuntimeCrossCheck.Samples;

// Shared state for the samples: results are stored in statics so the JIT cannot drop an allocation as dead code.
// Not a hot path: nothing here is analyzed as one.
public static class Sink
{
    public static object? Object;
    public static readonly object Cached = new();
    public static int Int = 7;
    public static string A = "a", B = "b";
    public static string? String;
    public static Func<int>? Func;
    public static readonly List<int> List = new() { 1, 2, 3 };
    public static readonly IEnumerable<int> Enumerable = List;
    public static readonly char[] Buffer = new char[64];
    public static PlainStruct Plain = new() { X = 3 };
    public static OverridingStruct Overriding = new() { X = 3 };
    public static ComparableStruct Left = new() { X = 1 }, Right = new() { X = 2 };
    public static readonly Instance Target = new();
    public static readonly ManualAwaitable Awaitable = new();
    public static DayOfWeek Day = DayOfWeek.Friday;

    public static int StaticValue() => 42;
}

public struct PlainStruct { public int X; }

public struct OverridingStruct
{
    public int X;
    public override readonly int GetHashCode() => X;
    public override readonly bool Equals(object? obj) => obj is OverridingStruct other && other.X == X;
}

// Not inlined, so the boxed 'this' really escapes into the call (an inlined body lets .NET 10 drop the box).
public interface IScaled
{
    [MethodImpl(MethodImplOptions.NoInlining)]
    int Scale(int x) => x * 2;
}

public struct ComparableStruct : IComparable<ComparableStruct>, IScaled
{
    public int X;
    // Not inlined: once .NET 10 devirtualizes and inlines the call it can drop the box.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public readonly int CompareTo(ComparableStruct other) => X - other.X;
}

public sealed class Instance
{
    public int Value() => 1;
}

// An awaitable that never completes by itself: Resume() runs the continuation on the calling thread, so an async method
// completes asynchronously (and its state machine moves to the heap) without another thread or a timer.
public sealed class ManualAwaitable : ICriticalNotifyCompletion
{
    private Action? _continuation;

    public bool IsCompleted => false;
    public ManualAwaitable GetAwaiter() => this;
    public void GetResult() { }
    public void OnCompleted(Action continuation) => _continuation = continuation;
    public void UnsafeOnCompleted(Action continuation) => _continuation = continuation;

    public void Resume()
    {
        var continuation = _continuation!;
        _continuation = null;
        continuation();
    }
}
