using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading.Tasks;

namespace TailGuard.Analyzers.Tests.RuntimeCrossCheck.Samples;

// One class per allocation rule. "Allocating*" members hold what the rule reports; "Fixed*" members hold the fix, which
// the rule must not report. RuntimeCrossCheckTests runs the analyzer on this file's text and measures both at run time.

public static class TG3001Sample
{
    [HotPath] public static void Allocating() => Sink.Object = new object();
    [HotPath] public static void Fixed() => Sink.Object = Sink.Cached;
}

public static class TG3002Sample
{
    [HotPath] public static void Allocating() => Sink.Object = new byte[16];
    [HotPath] public static void Fixed() { Span<byte> buffer = stackalloc byte[16]; buffer[0] = 1; Sink.Int = buffer[0]; }
}

public static class TG3003Sample
{
    // Not inlined: once .NET 10 inlines a callee it can prove the params array does not escape and put it on the stack.
    [MethodImpl(MethodImplOptions.NoInlining)] private static int Sum(params int[] values) => values.Length;
    private static int Sum(int a, int b) => a + b;
    [HotPath] public static void Allocating() => Sink.Int = Sum(1, 2, 3);
    [HotPath] public static void Fixed() => Sink.Int = Sum(1, 2);
}

public static class TG3004Sample
{
    [HotPath] public static void Allocating() { int[] values = [1, 2, Sink.Int]; Sink.Object = values; }
    [HotPath] public static void Fixed() { ReadOnlySpan<int> values = [1, 2, Sink.Int]; Sink.Int = values[2]; }
}

public static class TG3005Sample
{
    [HotPath] public static void Allocating() => Sink.Object = Sink.Int;
    [HotPath] public static void Fixed() => Sink.Object = Sink.Cached;
}

public static class TG3006Sample
{
    [HotPath] public static void Allocating() => Sink.Int = Sink.Plain.GetHashCode();
    [HotPath] public static void Fixed() => Sink.Int = Sink.Overriding.GetHashCode();
}

public static class TG3007Sample
{
    [HotPath] public static void Allocating() => Sink.Int = ((IScaled)Sink.Left).Scale(3);
    [HotPath] public static void Fixed() => Sink.Int = ((IComparable<ComparableStruct>)Sink.Left).CompareTo(Sink.Right);
}

public static class TG3008Sample
{
    [HotPath] public static void Allocating() { var local = Sink.Int; Sink.Func = () => local; }
    [HotPath] public static void Fixed() => Sink.Func = static () => 42;
}

public static class TG3009Sample
{
    [HotPath] public static void Allocating() => Sink.Func = Sink.Target.Value;
    [HotPath] public static void Fixed() => Sink.Func = Sink.StaticValue;
}

public static class TG3011Sample
{
    [HotPath] public static void Allocating() => Sink.String = Sink.A + Sink.B;
    [HotPath] public static void Fixed() => Sink.String = Sink.A;
}

public static class TG3012Sample
{
    [HotPath] public static void Allocating() => Sink.String = $"value {Sink.Int}";
    [HotPath] public static void Fixed() => Sink.Buffer.AsSpan().TryWrite($"value {Sink.Int}", out _);
}

public static class TG3013Sample
{
    [HotPath] public static void Allocating() => Sink.String = string.Format("{0}/{1}", Sink.A, Sink.B);
    [HotPath] public static void Fixed() => Sink.String = Sink.B;
}

public static class TG3014Sample
{
    [HotPath] public static void Allocating() => Sink.Object = Sink.List.Select(static x => x * 2);
    [HotPath] public static void Fixed() { var sum = 0; foreach (var x in Sink.List) sum += x * 2; Sink.Int = sum; }
}

public static class TG3015Sample
{
    [HotPath] public static void Allocating() { var sum = 0; foreach (var x in Sink.Enumerable) sum += x; Sink.Int = sum; }
    [HotPath] public static void Fixed() { var sum = 0; foreach (var x in Sink.List) sum += x; Sink.Int = sum; }
}

public static class TG3016Sample
{
    [HotPath] private static IEnumerable<int> AllocatingNumbers() { yield return Sink.Int; }
    [HotPath] private static int FixedNumbers(Span<int> destination) { destination[0] = Sink.Int; return 1; }
    public static void Allocating() => Sink.Object = AllocatingNumbers();
    public static void Fixed() { Span<int> numbers = stackalloc int[1]; Sink.Int = FixedNumbers(numbers); }
}

public static class TG3017Sample
{
    [HotPath] private static async ValueTask AllocatingWork() => await Sink.Awaitable;

    [HotPath, AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private static async ValueTask FixedWork() => await Sink.Awaitable;

    public static void Allocating() { var work = AllocatingWork(); Sink.Awaitable.Resume(); work.GetAwaiter().GetResult(); }
    public static void Fixed() { var work = FixedWork(); Sink.Awaitable.Resume(); work.GetAwaiter().GetResult(); }
}

public static class TG3018Sample
{
    private static void Describe() => Store(Sink.A);
    private static void Store(string text) => Sink.String = text + "!";
    private static void Copy() => Sink.String = Sink.A;
    [HotPath] public static void Allocating() => Describe();
    [HotPath] public static void Fixed() => Copy();
}

// Variants of a rule's sample, cross-checked the same way (RuntimeCrossCheckTests.Variant_*).

public static class TG3006ToStringSample
{
    [HotPath] public static void Allocating() => Sink.String = Sink.Plain.ToString();
    [HotPath] public static void Fixed() => Sink.String = Sink.A;
}

public static class TG3006EqualsSample
{
    [HotPath] public static void Allocating() => Sink.Int = Sink.Plain.Equals(Sink.Plain) ? 1 : 0;
    [HotPath] public static void Fixed() => Sink.Int = Sink.Overriding.X == Sink.Plain.X ? 1 : 0;
}

// Not reported, because the runtime does not allocate: the JIT folds GetType() on a value into its type handle.
public static class GetTypeOnStructSample
{
    [HotPath] public static void Run() => Sink.Object = Sink.Plain.GetType();
}

// Not reported, because the runtime does not allocate: the compiler caches a lambda that captures nothing.
public static class NonCapturingLambdaSample
{
    [HotPath] public static void Run() => Sink.Func = () => 42;
}

public static class TG3005EnumSample
{
    [HotPath] public static void Allocating() => Sink.Object = (Enum)Sink.Day;
    [HotPath] public static void Fixed() => Sink.Int = (int)Sink.Day;
}
