namespace TailGuard.Package.Tests.Analyzers;

/// <summary>
/// One row per TailGuard rule for the package-level suppression test: its ID, default severity and a snippet (the
/// members of a type in a namespace of its own) that makes the rule report at least once. Adding a rule is one line.
/// </summary>
internal static class RuleRows
{
    internal sealed record Row(string Id, string Category, string DefaultLevel, string Snippet);

    private const string HotPath = "public sealed class C { static object? _o; ";
    private const string Secrets = "public sealed class C { [Secret] private readonly int _k = 1; [Secret] private readonly string _s = \"s\"; private int _plain; ";

    internal static readonly Row[] All =
    [
        new("TG3001", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public void M() => _o = new object(); }"),
        new("TG3002", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public void M(int n) => _o = new int[n]; }"),
        new("TG3003", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public void M() => Log(\"a\", 1, 2); static void Log(string m, params object[] v) { } }"),
        new("TG3004", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public void M() { System.Collections.Generic.List<int> l = [1]; _o = l; } }"),
        new("TG3005", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public void M(int x) => _o = x; }"),
        new("TG3006", "TailGuard.Allocation", "warning", "public struct S { } " + HotPath + "[HotPath] public int M(S s) => s.GetHashCode(); }"),
        new("TG3007", "TailGuard.Allocation", "warning", "public interface IShape { double Area() => 1; } public struct Sq : IShape { } " + HotPath + "[HotPath] public double M(Sq s) => ((IShape)s).Area(); }"),
        new("TG3008", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public void M(int x) { System.Func<int> f = () => x; _o = f; } }"),
        new("TG3009", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public void M() { System.Func<int> f = Get; _o = f; } int Get() => 1; }"),
        new("TG3010", "TailGuard.Allocation", "note", HotPath + "[HotPath] public void M() { System.Func<int, int> f = x => x; _o = f; } }"),
        new("TG3011", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public string M(string a) => a + a; }"),
        new("TG3012", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public string M(int a) => $\"{a}\"; }"),
        new("TG3013", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public string M(string a) => string.Format(\"{0}\", a); }"),
        new("TG3014", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public int M(int[] a) => System.Linq.Enumerable.Count(a); }"),
        new("TG3015", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public int M(System.Collections.Generic.IEnumerable<int> a) { var s = 0; foreach (var x in a) s += x; return s; } }"),
        new("TG3016", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public System.Collections.Generic.IEnumerable<int> M() { yield return 1; } }"),
        new("TG3017", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public async System.Threading.Tasks.Task M() => await System.Threading.Tasks.Task.Yield(); }"),
        new("TG3018", "TailGuard.Allocation", "warning", HotPath + "[HotPath] public void M() => Cold(); static void Cold() => _o = new object(); }"),
        new("TG4001", "TailGuard.SecretFlow", "warning", "[HostCalls] public interface IHost { void Send(int value); } " + Secrets + "public void M(IHost host) => host.Send(_k); }"),
        new("TG4002", "TailGuard.SecretFlow", "warning", "[R2P2Service] public interface IRemote { int Put(int value); } " + Secrets + "public int M(IRemote remote) => remote.Put(_k); }"),
        new("TG4003", "TailGuard.SecretFlow", "warning", Secrets + "public void M() => System.Console.WriteLine(_k); }"),
        new("TG4004", "TailGuard.SecretFlow", "warning", Secrets + "public void M() => throw new System.InvalidOperationException(_s); }"),
        new("TG4005", "TailGuard.SecretFlow", "warning", Secrets + "public string M() => _k.ToString(); }"),
        new("TG4006", "TailGuard.SecretFlow", "warning", Secrets + "public void M() => _plain = _k; }"),
        new("TG4007", "TailGuard.SecretFlow", "warning", Secrets + "public bool M(string guess) => guess == _s; }"),
        new("TG1001", "TailGuard.R2P2", "error", "[R2P2Service] public interface IService { void Call(object value); }"),
        new("TG1002", "TailGuard.R2P2", "error", "[R2P2Service] public interface IService { object Call(); }"),
        new("TG1003", "TailGuard.R2P2", "error", "[R2P2Service] public interface IService { void Call(ref int value); }"),
        new("TG1004", "TailGuard.R2P2", "error", "[R2P2Service] public interface IService { void Call<T>(int value); }"),
        new("TG1005", "TailGuard.R2P2", "error", "[R2P2Service] public interface IService<T> { void Call(); }"),
        new("TG1006", "TailGuard.R2P2", "error", "[R2P2Service] public interface IService { [R2P2Method(5)] void A(); [R2P2Method(5)] void B(); }"),
        new("TG1007", "TailGuard.R2P2", "error", "[R2P2Service] public interface IService { void Put(int a); void PutAsync(int a); }"),
        new("TG1008", "TailGuard.R2P2", "error", "[R2P2Service] public interface IService { int Count { get; } }"),
        new("TG1009", "TailGuard.R2P2", "error", "[R2P2Service] public interface IService { long Call(Span<byte> a); }"),
        new("TG1010", "TailGuard.R2P2", "error", "public interface IBase { }\n[R2P2Service] public interface IService : IBase { void Call(); }"),
        new("TG1011", "TailGuard.R2P2", "error", "public class Outer { [R2P2Service] public interface IService { void Call(); } }"),
        new("TG1012", "TailGuard.R2P2", "error", "[R2P2Service(Policy = (TailGuard.R2P2.RoutingPolicy)9)] public interface IService { void Call(); }"),
        new("TG1013", "TailGuard.R2P2", "error", "[R2P2Service] public interface IService { void Call([R2P2MaxLength(-1)] string text); }"),
        new("TG1014", "TailGuard.R2P2", "error", "[R2P2Service] file interface IService { void Call(); }"),
        new("TG1015", "TailGuard.R2P2", "error", "public class ServiceClient { }\n[R2P2Service] public interface IService { void Call(); }"),
        new("TG1030", "TailGuard.R2P2", "error", "[R2P2Service] public interface IService { void Call([R2P2MaxLength(16777217)] string text); }"),
        new("TG2001", "TailGuard.TrustBoundary", "error", "[TrustDomain] public interface IDomain { void Call(byte[] data); }"),
        new("TG2002", "TailGuard.TrustBoundary", "error", "[TrustDomain] public interface IDomain { string Name(); }"),
        new("TG2003", "TailGuard.TrustBoundary", "error", "[TrustDomain] public interface IDomain { void Call([UserCheck, InOut, Bounded(8)] Span<byte> data); }"),
        new("TG2004", "TailGuard.TrustBoundary", "error", "[TrustDomain] public interface IDomain { void Call(object value); }"),
        new("TG2005", "TailGuard.TrustBoundary", "error", "[TrustDomain] public interface IDomain { void Call(ReadOnlySpan<byte> data); }"),
        new("TG2006", "TailGuard.TrustBoundary", "error", "[TrustDomain] public interface IDomain { void Call(ref int value); }"),
        new("TG2007", "TailGuard.TrustBoundary", "error", "[TrustDomain] public interface IDomain { void Call<T>(int value); }"),
        new("TG2008", "TailGuard.TrustBoundary", "error", "[TrustDomain] public interface IDomain { int Value { get; } }"),
        new("TG2009", "TailGuard.TrustBoundary", "warning", "[TrustDomain] public interface IDomain { void Call([UserCheck, Bounded(8)] ReadOnlySpan<byte> data); }"),
        new("TG2010", "TailGuard.TrustBoundary", "error", "[TrustDomain] public interface IDomain { void Call([Bounded(0)] ReadOnlySpan<byte> data); }"),
        new("TG2011", "TailGuard.TrustBoundary", "error", "[TrustDomain] public interface IDomain { void Call([InOut] int data); }"),
        new("TG2012", "TailGuard.TrustBoundary", "error", "public class Outer { [TrustDomain] public interface IDomain { void Call(int value); } }"),
        new("TG2013", "TailGuard.TrustBoundary", "error", "public interface IBase { }\n[TrustDomain] public interface IDomain : IBase { void Call(int value); }"),
        new("TG2014", "TailGuard.TrustBoundary", "error", "public struct Padded { public int A; public long B; }\n[TrustDomain] public interface IDomain { void Call(Padded value); }"),
        new("TG2015", "TailGuard.TrustBoundary", "error", "public struct Flagged { public bool On; public byte Pad0; public short Pad1; public int Pad2; }\n[TrustDomain] public interface IDomain { void Call(Flagged value); }"),
        new("TG2016", "TailGuard.TrustBoundary", "error", "[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Auto)] public struct Loose { public long A; }\n[TrustDomain] public interface IDomain { void Call(Loose value); }"),
        new("TG2020", "TailGuard.TrustBoundary", "error", "[TrustDomain] file interface IDomain { void Call(int value); }"),
        new("TG2021", "TailGuard.TrustBoundary", "error", "public class DomainProxy { }\n[TrustDomain] public interface IDomain { void Call(int value); }"),
        new("TG5010", "TailGuard.Determinism", "error", "[R2P2Service(Replicated = true)] public interface IService { long Add(long amount); [ReadOnly] long Read(); }"),
    ];
}
