using System.Threading.Tasks;
using Verifier = TailGuard.Analyzers.Tests.Infrastructure.AnalyzerVerifier<TailGuard.Analyzers.Allocations.HotPathAllocationAnalyzer>;

namespace TailGuard.Analyzers.Tests.Allocations;

public sealed class StateMachineAllocationTests
{
    [Fact]
    public Task Iterators_in_hot_paths_are_TG3016_including_local_functions()
    {
        const string source = """
            using System.Collections.Generic;
            using TailGuard;
            class C
            {
                [HotPath] IEnumerable<int> {|TG3016:Numbers|}() { yield return 1; }
                [HotPath] int M()
                {
                    IEnumerable<int> {|TG3016:Local|}() { yield break; }
                    return 0;
                }
                IEnumerable<int> Cold() { yield return 1; }
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Async_methods_without_a_pooling_builder_are_TG3017()
    {
        const string source = """
            using System.Runtime.CompilerServices;
            using System.Threading.Tasks;
            using TailGuard;
            class C
            {
                [HotPath] async Task {|TG3017:A|}() => await Task.Yield();
                [HotPath] async ValueTask<int> {|TG3017:B|}() { await Task.Yield(); return 1; }
                [HotPath, AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
                async ValueTask<int> Pooled() { await Task.Yield(); return 1; }
                [HotPath, AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
                async ValueTask PooledVoid() => await Task.Yield();
                [HotPath] ValueTask<int> NotAsync() => new ValueTask<int>(1);
            }
            """;
        return Verifier.VerifyAsync(source);
    }

    [Fact]
    public Task Async_void_and_async_lambdas_in_hot_paths_are_TG3017()
    {
        const string source = """
            using System;
            using System.Threading.Tasks;
            using TailGuard;
            class C
            {
                Func<Task> _f;
                [HotPath] async void {|TG3017:Fire|}() => await Task.Yield();
                [HotPath] void M() { _f = {|#0:static async () =>|} await Task.Yield(); }
            }
            """;
        var test = new Infrastructure.AnalyzerVerifier<Analyzers.Allocations.HotPathAllocationAnalyzer>.Test { TestCode = source };
        test.ExpectedDiagnostics.Add(Microsoft.CodeAnalysis.Testing.DiagnosticResult.CompilerWarning("TG3017").WithLocation(0).WithArguments("lambda", "C.M"));
        return test.RunAsync();
    }
}
