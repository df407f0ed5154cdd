using System;
using System.Collections.Generic;

namespace TailGuard.Fuzz.Harness;

/// <summary>
/// One parser of untrusted bytes under fuzzing. <see cref="Run"/> feeds it one input and checks the target's invariants,
/// throwing <see cref="InvariantViolationException"/> when one breaks; any other exception escaping is a crash too.
/// A target is reused across inputs (AFL's persistent mode): whatever it keeps between runs must not change the outcome.
/// </summary>
internal interface IFuzzTarget
{
    /// <summary>The name on the command line and of the corpus folder (<c>tests/Fuzz/corpus/NAME/</c>).</summary>
    string Name { get; }

    /// <summary>Runs one input and checks the invariants.</summary>
    /// <param name="input">The fuzzer's bytes.</param>
    void Run(ReadOnlySpan<byte> input);

    /// <summary>The seed inputs, built through the real encoders (the bytes the conformance tests use).</summary>
    /// <returns>Named seeds.</returns>
    IEnumerable<(string Name, byte[] Bytes)> Seeds();

    /// <summary>Whether two seeds are the same (byte equality, unless a seed holds something random such as a signature).</summary>
    /// <param name="a">One seed.</param>
    /// <param name="b">The other.</param>
    /// <returns>Whether they are the same seed.</returns>
    bool IsSameSeed(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) => a.SequenceEqual(b);
}
