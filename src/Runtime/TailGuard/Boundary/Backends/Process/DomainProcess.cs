using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Threading;


namespace TailGuard.Boundary;

/// <summary>
/// The entry loop of a process-isolated domain: what <c>tailguard-domain</c> runs in the child process (it loads this
/// TailGuard.dll, the host's own, and calls <see cref="Run"/>). It loads the
/// domain assembly (measuring the bytes it loaded), builds the implementation and the generated entry, maps the shared
/// memory, makes itself non-dumpable, installs the seccomp filter, reports READY on standard output with its
/// measurement, and then serves calls until the host stops it or dies. Its private memory (the frame copy, the
/// scratch, the implementation's own objects) is its own address space.
/// </summary>
[RequiresUnreferencedCode("The domain process loads the domain assembly from a file and builds its types by name.")]
[RequiresDynamicCode("The domain process builds the generated entry of a binding known only by name.")]
internal static unsafe class DomainProcess
{
    /// <summary>
    /// Runs the domain. Arguments: assembly path, binding type, implementation type, memfd path, cores, region size,
    /// out-call region size, spin count, and the [HostCalls] binding type (or "-"). Called by reflection from
    /// tailguard-domain (src/Runtime/TailGuard.DomainHost), never in the host.
    /// </summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "A setup failure is reported to the host on standard output, then the process exits.")]
    public static int Run(string[] args)
    {
        if (args.Length != 9)
        {
            Console.Out.WriteLine("ERROR usage: tailguard-domain ASSEMBLY BINDING IMPLEMENTATION MEMFD CORES REGION OUTREGION SPIN HOSTBINDING|-");
            return 2;
        }

        TextWriter output = Console.Out; // errors before the filter only
        SharedMemory shared;
        BoundaryEntry entry;
        DomainOutCallChannel? outCalls = null;
        int spin;
        try
        {
            // Die with the host: a domain left behind by a crashed host would wait forever.
            ProcessNative.Prctl(ProcessNative.PrSetPdeathsig, 9, 0, 0, 0);
            byte[] image = File.ReadAllBytes(args[0]);
            string measured = Convert.ToHexString(SHA256.HashData(image));
            Assembly assembly = Assembly.LoadFrom(args[0]);
            Type binding = assembly.GetType(args[1], throwOnError: true)!;
            Type implementation = assembly.GetType(args[2], throwOnError: true)!;
            int cores = int.Parse(args[4], CultureInfo.InvariantCulture);
            var layout = new SharedLayout(cores, int.Parse(args[5], CultureInfo.InvariantCulture), int.Parse(args[6], CultureInfo.InvariantCulture));
            spin = int.Parse(args[7], CultureInfo.InvariantCulture);
            Type? hostBinding = args[8] == "-" ? null : assembly.GetType(args[8], throwOnError: true)!;
            shared = SharedMemory.Open(args[3], layout);
            entry = CreateEntry(binding, implementation, hostBinding, shared, spin, out outCalls);
            Preload(assembly);
            Warm(binding.Assembly, implementation);

            // Every core but the first is served by a thread of its own, started now: thread creation is easier on the
            // filter before it is installed. Each reports once it runs.
            using (var running = new CountdownEvent(cores - 1))
            {
                for (int lane = 1; lane < cores; lane++)
                {
                    int core = lane;
                    new Thread(() => Serve(shared, core, entry, null, spin, running)) { IsBackground = true, Name = "TailGuard domain core " + core }.Start();
                }

                running.Wait();
            }

            ProcessNative.FutexWakeShared(&shared.Control(0)->HostBell); // resolve the futex and write calls before the filter
            ProcessNative.Write(1, null, 0);
            if (ProcessNative.Prctl(ProcessNative.PrSetDumpable, 0, 0, 0, 0) != 0)
            {
                throw new InvalidOperationException("prctl(PR_SET_DUMPABLE, 0) failed");
            }

            int dumpable = ProcessNative.Prctl(ProcessNative.PrGetDumpable, 0, 0, 0, 0);
            SeccompFilter.Install();
            // Console would probe the terminal (ioctl), which the filter does not allow: write(2) alone.
            ProcessNative.WriteAll(1, System.Text.Encoding.ASCII.GetBytes($"READY {measured} dumpable={dumpable} seccomp=1\n"));
        }
        catch (Exception exception)
        {
            output.WriteLine("ERROR " + exception.GetType().Name + ": " + exception.Message.ReplaceLineEndings(" "));
            output.Flush();
            return 3;
        }

        Serve(shared, 0, entry, outCalls, spin, running: null);
        return 0; // the host stopped the domain: the other cores' threads end with the process
    }

    /// <summary>Serves core <paramref name="lane"/>'s calls until the host stops the domain.</summary>
    private static void Serve(SharedMemory shared, int lane, BoundaryEntry entry, DomainOutCallChannel? outCalls, int spin, CountdownEvent? running)
    {
        ControlBlock* control = shared.Control(lane);
        Span<byte> region = shared.Region(lane);

        // The core's private memory: its frame copy and scratch live in this process only.
        byte[] scratch = GC.AllocateArray<byte>(Math.Max(entry.ScratchSize, 1), pinned: true);
        running?.Signal();
        int seen = 0; // requests are numbered from 1 in a fresh mapping: one published before this line is still served
        while (true)
        {
            int request = WaitForRequest(control, seen, spin);
            if (Volatile.Read(ref control->Stop) != 0)
            {
                return;
            }

            seen = request;
            outCalls?.BeginCall();
            try
            {
                entry.ServeInPlace(region, scratch);
            }
            finally
            {
                outCalls?.EndCall();
            }

            Volatile.Write(ref control->Reply, seen); // results and status before the reply: the host reads after it
            Interlocked.Increment(ref control->HostBell); // a full fence: the bell after the reply, then look whether the host sleeps
            if (Volatile.Read(ref control->HostSleeping) != 0)
            {
                ProcessNative.FutexWakeShared(&control->HostBell);
            }
        }
    }

    /// <summary>Spins on the request word, then sleeps on it in the kernel; returns the new request number.</summary>
    private static int WaitForRequest(ControlBlock* control, int seen, int spin)
    {
        for (int i = 0; i < spin; i++)
        {
            int request = Volatile.Read(ref control->Request);
            if (request != seen || Volatile.Read(ref control->Stop) != 0)
            {
                return request;
            }

            Thread.SpinWait(1);
        }

        while (true)
        {
            Volatile.Write(ref control->DomainSleeping, 1);
            Interlocked.MemoryBarrier(); // announce, then look again: a request published in between is not missed
            int request = Volatile.Read(ref control->Request);
            if (request != seen || Volatile.Read(ref control->Stop) != 0)
            {
                Volatile.Write(ref control->DomainSleeping, 0);
                return request;
            }

            ProcessNative.FutexWaitShared(&control->Request, seen, 1_000_000_000);
            Volatile.Write(ref control->DomainSleeping, 0);
        }
    }

    /// <summary>
    /// Builds the implementation (with its parameterless constructor, or, for a domain that calls out to the host, its
    /// constructor taking the [HostCalls] proxy over <paramref name="outCalls"/>) and the generated entry around it.
    /// </summary>
    private static BoundaryEntry CreateEntry(Type binding, Type implementation, Type? hostBinding, SharedMemory shared, int spin, out DomainOutCallChannel? outCalls)
    {
        Type service = ServiceOf(binding)
            ?? throw new InvalidOperationException($"{binding} is not a generated binding.");
        if (!service.IsAssignableFrom(implementation))
        {
            throw new InvalidOperationException($"{binding} is not the generated binding of an interface {implementation} implements.");
        }

        object instance;
        outCalls = null;
        if (hostBinding is null)
        {
            instance = Activator.CreateInstance(implementation)
                ?? throw new InvalidOperationException($"{implementation} could not be constructed.");
        }
        else
        {
            Type hostCalls = ServiceOf(hostBinding)
                ?? throw new InvalidOperationException($"{hostBinding} is not a generated binding.");
            BoundaryLayout hostLayout = (BoundaryLayout)typeof(DomainProcess).GetMethod(nameof(LayoutOf), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(hostCalls, hostBinding).Invoke(null, null)!;
            outCalls = new DomainOutCallChannel(shared, 0, hostLayout, spin);
            object proxy = typeof(DomainProcess).GetMethod(nameof(CreateProxy), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(hostCalls, hostBinding).Invoke(null, [outCalls])!;
            ConstructorInfo constructor = implementation.GetConstructor([hostCalls])
                ?? throw new InvalidOperationException($"{implementation} has no public constructor taking {hostCalls}.");
            instance = constructor.Invoke([proxy]);
        }

        MethodInfo create = typeof(DomainProcess).GetMethod(nameof(CreateEntryOf), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(service, binding);
        var entry = (BoundaryEntry)create.Invoke(null, [instance])!;
        entry.BindToDomain();
        return entry;
    }

    private static Type? ServiceOf(Type binding)
    {
        foreach (Type candidate in binding.GetInterfaces())
        {
            if (candidate.IsGenericType && candidate.GetGenericTypeDefinition() == typeof(ITrustDomainBinding<>))
            {
                return candidate.GetGenericArguments()[0];
            }
        }

        return null;
    }

    private static BoundaryEntry CreateEntryOf<TService, TBinding>(object implementation)
        where TService : class
        where TBinding : ITrustDomainBinding<TService>
        => TBinding.CreateEntry((TService)implementation, default);

    private static BoundaryLayout LayoutOf<THostCalls, THostBinding>()
        where THostCalls : class
        where THostBinding : ITrustDomainBinding<THostCalls>
        => THostBinding.Layout;

    private static THostCalls CreateProxy<THostCalls, THostBinding>(BoundaryChannel channel)
        where THostCalls : class
        where THostBinding : ITrustDomainBinding<THostCalls>
        => THostBinding.CreateProxy(channel);

    /// <summary>Loads every assembly the domain's can reach now: after the filter, opening a file fails.</summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "An assembly that cannot be loaded now would not load later either.")]
    private static void Preload(Assembly root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<Assembly>();
        pending.Push(root);
        while (pending.Count > 0)
        {
            foreach (AssemblyName name in pending.Pop().GetReferencedAssemblies())
            {
                if (name.FullName is { } full && seen.Add(full))
                {
                    try
                    {
                        pending.Push(Assembly.Load(name));
                    }
                    catch (Exception)
                    {
                        // not loadable here (a test-only reference, say): the domain's code must not need it
                    }
                }
            }
        }
    }

    /// <summary>Compiles the entry's and the implementation's methods now, while the JIT may still open what it needs.</summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "Methods that cannot be prepared ahead (generic ones) are compiled on first use.")]
    private static void Warm(Assembly assembly, Type implementation)
    {
        foreach (Type type in new[] { implementation })
        {
            foreach (MethodInfo method in type.GetMethods(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            {
                try
                {
                    if (!method.IsAbstract && !method.ContainsGenericParameters)
                    {
                        RuntimeHelpers.PrepareMethod(method.MethodHandle);
                    }
                }
                catch (Exception)
                {
                }
            }
        }

        _ = assembly;
    }
}
