using TailGuard;

namespace TailGuard.EndToEnd.Tests.Services;

/// <summary>Version 1 of a service: what an older server implements.</summary>
[R2P2Service]
internal interface ICalculatorV1
{
    [R2P2Method(1)]
    int Add(int a, int b);
}

/// <summary>Version 2: Add gained a third argument (appended), and a new method exists.</summary>
[R2P2Service]
internal interface ICalculatorV2
{
    [R2P2Method(1)]
    int Add(int a, int b, int c);

    [R2P2Method(2)]
    int Negate(int a);
}

/// <summary>A client that sends fewer arguments than the server reads.</summary>
[R2P2Service]
internal interface ICalculatorV0
{
    [R2P2Method(1)]
    int Add(int a);
}

internal sealed class CalculatorV1 : ICalculatorV1
{
    public int Add(int a, int b) => a + b;
}
