using System;
using System.IO;
using System.Linq;
using SharpFuzz;
using TailGuard.Fuzz.Harness;

namespace TailGuard.Fuzz;

/// <summary>
/// The fuzzing runner (tests/Fuzz/run.sh drives it):
/// <c>TailGuard.Fuzz TARGET</c> runs under afl-fuzz (SharpFuzz's persistent mode);
/// <c>TailGuard.Fuzz TARGET --replay FILE...</c> runs saved inputs and says which break an invariant;
/// <c>TailGuard.Fuzz TARGET --smoke SECONDS [CORPUS_DIR]</c> fuzzes in-process without AFL;
/// <c>TailGuard.Fuzz TARGET --write-seeds DIR</c> writes the seed corpus built by the real encoders;
/// <c>TailGuard.Fuzz --list</c> names the targets.
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--list" or "-h" or "--help")
        {
            Console.WriteLine(args.Length > 0 && args[0] == "--list" ? string.Join(Environment.NewLine, FuzzTargets.Names) : Usage);
            return args.Length == 0 ? 2 : 0;
        }

        string name = args[0];
        if (!FuzzTargets.Names.Contains(name))
        {
            Console.Error.WriteLine($"No fuzz target is named '{name}'; the targets are: {string.Join(", ", FuzzTargets.Names)}.");
            return 2;
        }

        if (args.Length == 1)
        {
            // Under AFL: the target is built inside the loop, once SharpFuzz has mapped the coverage memory.
            byte[] buffer = new byte[1 << 20];
            IFuzzTarget? fuzzed = null;
            Fuzzer.Run(stream =>
            {
                fuzzed ??= FuzzTargets.Create(name);
                int length = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
                fuzzed.Run(buffer.AsSpan(0, length));
            });
            return 0;
        }

        IFuzzTarget target = FuzzTargets.Create(name);
        switch (args[1])
        {
            case "--replay" when args.Length > 2:
                return Replay(target, args.Skip(2));
            case "--smoke" when args.Length > 2 && int.TryParse(args[2], out int seconds) && seconds > 0:
                byte[][] corpus = args.Length > 3 && Directory.Exists(args[3])
                    ? Directory.GetFiles(args[3]).Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToArray()
                    : target.Seeds().Select(s => s.Bytes).ToArray();
                SmokeResult result = SmokeRun.Run(target, corpus, TimeSpan.FromSeconds(seconds), Environment.TickCount);
                Console.WriteLine($"{target.Name}: {result.Executions} executions, {(result.Failure is null ? "no failure" : "FAILED: " + result.Error)}");
                if (result.Failure is not null)
                {
                    string path = Path.Combine(Path.GetTempPath(), $"tailguard-fuzz-{target.Name}-{Environment.ProcessId}.bin");
                    File.WriteAllBytes(path, result.Failure);
                    Console.WriteLine($"failing input saved to {path}");
                    return 1;
                }

                return 0;
            case "--write-seeds" when args.Length > 2:
                Directory.CreateDirectory(args[2]);
                foreach ((string seed, byte[] bytes) in target.Seeds())
                {
                    File.WriteAllBytes(Path.Combine(args[2], seed + ".bin"), bytes);
                }

                return 0;
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }

    private const string Usage = "usage: TailGuard.Fuzz TARGET [--replay FILE... | --smoke SECONDS [CORPUS_DIR] | --write-seeds DIR] | --list";

    private static int Replay(IFuzzTarget target, System.Collections.Generic.IEnumerable<string> files)
    {
        int failed = 0;
        foreach (string file in files)
        {
            try
            {
                target.Run(File.ReadAllBytes(file));
                Console.WriteLine($"ok      {file}");
            }
            catch (Exception e)
            {
                failed++;
                Console.WriteLine($"FAILED  {file}: {e}");
            }
        }

        return failed == 0 ? 0 : 1;
    }
}
