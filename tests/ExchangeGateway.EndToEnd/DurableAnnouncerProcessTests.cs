using System.Diagnostics;
using ExchangeGateway.Client;
using ExchangeGateway.Contracts.V1;
using ExchangeGateway.EndToEnd.Fixtures;
using ExchangeGateway.Server.Identity;
using ExchangeGateway.Tests.Shared;
using Google.Protobuf;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ExchangeGateway.EndToEnd;

/// <summary><c>exgw announce</c> as COA runs it: a process draining its local SQLite outbox into a real
/// gateway process. Killed with SIGKILL halfway (and with the gateway killed under it), started again
/// until it exits 0: every announcement of the file exists exactly once. The tests share one gateway
/// (each checks only its own file's arrivals); the second kills and restarts it.</summary>
public sealed class DurableAnnouncerProcessTests(GatewayProcessFixture fixture, ITestOutputHelper output) : IClassFixture<GatewayProcessFixture>
{
    // Enough that the announcer cannot finish between two looks at its outbox on a fast machine.
    private const int Announcements = 1000;

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
    private static readonly string[] Codes = ["0363", "0344", "0014"];

    [Fact]
    public async Task Announce_SigkilledAfterSomeConfirmedThenRestarted_EveryAnnouncementStoredOnce()
    {
        var gateway = await RunningGatewayAsync();
        var work = Directory.CreateTempSubdirectory("exgw-e2e-announce-").FullName;
        var requests = WriteFile(work, out var file);
        var outbox = Path.Combine(work, "coa-outbox.db");

        using (var first = StartAnnouncer(gateway, work, file, outbox))
        {
            await WaitForAsync(() => ReadOutbox(outbox).Confirmed >= 20, "20 confirmed in the outbox", first);
            first.Kill();
        }
        var atKill = ReadOutbox(outbox);
        output.WriteLine($"SIGKILL with {atKill.Confirmed} confirmed, {atKill.Pending} pending");
        Assert.True(atKill.Confirmed < Announcements, "The announcer finished before it could be killed; nothing was proven.");

        await RunUntilExitZeroAsync(gateway, work, file, outbox);

        await AssertEveryAnnouncementStoredOnceAsync(gateway, requests, outbox);
        Directory.Delete(work, recursive: true);
    }

    [Fact]
    public async Task Announce_GatewayKilledUnderItThenAnnouncerKilledThenBothRestarted_EveryAnnouncementStoredOnce()
    {
        var gateway = await RunningGatewayAsync();
        var work = Directory.CreateTempSubdirectory("exgw-e2e-announce-").FullName;
        var requests = WriteFile(work, out var file);
        var outbox = Path.Combine(work, "coa-outbox.db");

        using (var first = StartAnnouncer(gateway, work, file, outbox))
        {
            await WaitForAsync(() => ReadOutbox(outbox).Confirmed >= 20, "20 confirmed in the outbox", first);
            // Frozen, the announcer cannot finish the file before the gateway is gone (on a fast machine it
            // once did, between the look at its outbox and the kill)...
            first.Pause();
            var atGatewayKill = ReadOutbox(outbox);
            Assert.True(atGatewayKill.Pending > 0, "The announcer finished before the gateway could be killed; nothing was proven.");
            // ...the gateway dies under it (an answer may be lost after its commit)...
            gateway.Kill();
            first.Resume();
            output.WriteLine($"gateway SIGKILL with {atGatewayKill.Confirmed} confirmed, {atGatewayKill.Pending} pending");
            // ...the announcer retries against a dead port for a while, then dies too.
            await WaitForAsync(() => first.HasExited || ReadOutbox(outbox).Attempted > atGatewayKill.Attempted || Elapsed(atGatewayKill.At) > TimeSpan.FromSeconds(1),
                "the announcer to keep trying", first);
            Assert.False(first.HasExited, "The announcer exited while the gateway was down:\n" + first.Output);
            first.Kill();
        }
        var atKill = ReadOutbox(outbox);
        output.WriteLine($"announcer SIGKILL with {atKill.Confirmed} confirmed, {atKill.Pending} pending");
        Assert.True(atKill.Pending > 0, "Nothing was pending when the announcer was killed; nothing was proven.");

        await gateway.RestartAsync();
        await RunUntilExitZeroAsync(gateway, work, file, outbox);

        await AssertEveryAnnouncementStoredOnceAsync(gateway, requests, outbox);
        Directory.Delete(work, recursive: true);
    }

    /// <summary>The shared gateway, started again if an earlier test left it killed.</summary>
    private async Task<GatewayProcess> RunningGatewayAsync()
    {
        if (!fixture.Gateway.IsRunning)
        {
            await fixture.Gateway.RestartAsync();
        }
        return fixture.Gateway;
    }

    /// <summary>Writes the JSONL file of AnnounceArrivalRequests (protobuf JSON), each with its own request_id.</summary>
    private static List<AnnounceArrivalRequest> WriteFile(string work, out string file)
    {
        var batch = Guid.NewGuid().ToString("N")[..8];
        var requests = Enumerable.Range(0, Announcements).Select(i => new AnnounceArrivalRequest
        {
            RequestId = $"coa-batch-{batch}-{i:D4}",
            Arrival = TestArrivals.Family(Codes[i % Codes.Length], travellers: 1 + (i % 2)),
        }).ToList();
        file = Path.Combine(work, "announcements.jsonl");
        File.WriteAllLines(file, requests.Select(r => JsonFormatter.Default.Format(r)));
        return requests;
    }

    private static ChildProcess StartAnnouncer(GatewayProcess gateway, string work, string file, string outbox) => ChildProcess.Start("dotnet",
    [
        GatewayProcess.ExgwPath, "announce",
        "--file", file,
        "--outbox", outbox,
        "--address", gateway.Address.ToString(),
        "--cert", DevCertificateAuthority.CertificatePath(gateway.CertificatesDirectory, "coa"),
        "--key", DevCertificateAuthority.KeyPath(gateway.CertificatesDirectory, "coa"),
        "--ca", Path.Combine(gateway.CertificatesDirectory, DevCertificateAuthority.CaFile),
    ], work);

    /// <summary>Starts the announcer again until a run exits 0 (at most three runs).</summary>
    private async Task RunUntilExitZeroAsync(GatewayProcess gateway, string work, string file, string outbox)
    {
        for (var run = 1; run <= 3; run++)
        {
            using var announcer = StartAnnouncer(gateway, work, file, outbox);
            var exitCode = await announcer.WaitForExitAsync(Timeout);
            output.WriteLine($"run {run + 1}: exit {exitCode}\n{announcer.Output}");
            if (exitCode == 0)
            {
                return;
            }
        }
        Assert.Fail("exgw announce did not exit 0 in three runs.\n" + gateway.RecentOutput);
    }

    private static async Task AssertEveryAnnouncementStoredOnceAsync(GatewayProcess gateway, List<AnnounceArrivalRequest> requests, string outbox)
    {
        var state = ReadOutbox(outbox);
        Assert.Equal((0, Announcements, 0), (state.Pending, state.Confirmed, state.Parked));
        using var coa = gateway.ClientFor("coa");
        var stored = new List<Arrival>();
        var request = new ListArrivalsRequest { PageSize = 500 };
        for (var page = 0; page < 100; page++)
        {
            var response = await coa.ListArrivalsAsync(request);
            stored.AddRange(response.Arrivals);
            if (response.NextPageToken.Length == 0)
            {
                break;
            }
            request.PageToken = response.NextPageToken;
        }
        var mine = requests.Select(r => r.Arrival.CaseReference).ToHashSet();
        var byCase = stored.Where(a => mine.Contains(a.Details.CaseReference)).ToLookup(a => a.Details.CaseReference);
        Assert.Equal(Announcements, byCase.Sum(g => g.Count()));
        var confirmedIds = ConfirmedArrivalIds(outbox);
        foreach (var announced in requests)
        {
            var arrivals = byCase[announced.Arrival.CaseReference].ToList();
            Assert.True(arrivals.Count == 1, $"{announced.Arrival.CaseReference} (request_id {announced.RequestId}) is stored {arrivals.Count} times");
            Assert.Equal(announced.Arrival, arrivals[0].Details);
            Assert.Equal(arrivals[0].ArrivalId, confirmedIds[announced.RequestId]);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, ChildProcess process)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > Timeout)
            {
                throw new TimeoutException($"No {what} within {Timeout.TotalSeconds} s. Output:\n{process.Output}");
            }
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The announcer exited before {what}. Output:\n{process.Output}");
            }
            await Task.Delay(10);
        }
    }

    private static TimeSpan Elapsed(long timestamp) => Stopwatch.GetElapsedTime(timestamp);

    private sealed record OutboxState(int Pending, int Confirmed, int Parked, long Attempted, long At);

    /// <summary>The outbox as the announcer left it, read read-only (WAL lets it be read while it is written).</summary>
    private static OutboxState ReadOutbox(string path)
    {
        var at = Stopwatch.GetTimestamp();
        if (!File.Exists(path))
        {
            return new OutboxState(0, 0, 0, 0, at);
        }
        try
        {
            using var connection = OpenReadOnly(path);
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT COALESCE(SUM(State = 'pending'), 0), COALESCE(SUM(State = 'confirmed'), 0), COALESCE(SUM(State = 'parked'), 0),
                       COALESCE(SUM(Attempts), 0)
                FROM Outbox
                """;
            using var reader = command.ExecuteReader();
            reader.Read();
            return new OutboxState(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt64(3), at);
        }
        catch (SqliteException)
        {
            // Not created yet, or busy for a moment: as good as empty for a wait.
            return new OutboxState(0, 0, 0, 0, at);
        }
    }

    private static Dictionary<string, string> ConfirmedArrivalIds(string path)
    {
        using var connection = OpenReadOnly(path);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT RequestId, ArrivalId FROM Outbox WHERE State = 'confirmed'";
        using var reader = command.ExecuteReader();
        var ids = new Dictionary<string, string>();
        while (reader.Read())
        {
            ids[reader.GetString(0)] = reader.GetString(1);
        }
        return ids;
    }

    private static SqliteConnection OpenReadOnly(string path)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        return connection;
    }
}
