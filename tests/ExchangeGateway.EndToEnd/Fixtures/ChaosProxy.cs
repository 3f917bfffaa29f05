using System.Net;
using System.Net.Sockets;

namespace ExchangeGateway.EndToEnd.Fixtures;

/// <summary>How the <see cref="ChaosProxy"/> treats the connections it forwards.</summary>
public sealed class ChaosProxyOptions
{
    /// <summary>Share of connections that are cut (RST both ways) after a random number of bytes.
    /// The cut connections are spread at random over each block of ten, so that exactly this share of
    /// every ten connections is cut (a run with few connections still sees faults).</summary>
    public double CutShare { get; init; } = 0.3;

    /// <summary>The first connection of every block of ten is among the cut ones: a run with only a
    /// few long-lived connections (subscriber streams) is sure to see a cut.</summary>
    public bool CutFirstOfBlock { get; init; }

    /// <summary>A cut connection forwards at least this many bytes (both directions together) before
    /// it is cut; 0 cuts some in the TLS handshake.</summary>
    public int MinBytesBeforeCut { get; init; }

    /// <summary>A cut connection forwards at most this many bytes before it is cut.</summary>
    public int MaxBytesBeforeCut { get; init; } = 32 * 1024;

    /// <summary>Probability that a chunk is held back before it is forwarded.</summary>
    public double DelayProbability { get; init; }

    /// <summary>Longest hold-back of a delayed chunk.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMilliseconds(20);

    public int Seed { get; init; } = Environment.TickCount;
}

/// <summary>A TCP proxy on 127.0.0.1 that forwards bytes to a local gateway and injects faults: it
/// cuts a share of connections mid-stream (TCP reset to both sides) and delays chunks. TLS passes
/// through untouched, since it only forwards bytes; the server certificate is valid for 127.0.0.1.</summary>
public sealed class ChaosProxy : IAsyncDisposable
{
    private readonly IPEndPoint _target;
    private readonly ChaosProxyOptions _options;
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Random _random;
    private readonly List<Task> _connections = [];
    private readonly List<Socket> _sockets = [];
    private readonly Queue<bool> _cutPlan = new();
    private readonly Task _accepting;
    private int _accepted;
    private int _cut;
    private int _delayed;
    private long _forwarded;

    public ChaosProxy(int targetPort, ChaosProxyOptions? options = null)
    {
        _target = new IPEndPoint(IPAddress.Loopback, targetPort);
        _options = options ?? new ChaosProxyOptions();
        _random = new Random(_options.Seed);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port { get; }

    /// <summary>The proxy's address for gRPC clients (TLS end to end with the gateway).</summary>
    public Uri Address => new($"https://127.0.0.1:{Port}");

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _accepted);

    /// <summary>Connections the proxy cut.</summary>
    public int CutConnections => Volatile.Read(ref _cut);

    /// <summary>Chunks it held back.</summary>
    public int DelayedChunks => Volatile.Read(ref _delayed);

    /// <summary>Bytes forwarded, both directions.</summary>
    public long BytesForwarded => Interlocked.Read(ref _forwarded);

    public override string ToString() =>
        $"{Connections} connections, {CutConnections} cut, {DelayedChunks} chunks delayed, {BytesForwarded} bytes forwarded";

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            Interlocked.Increment(ref _accepted);
            lock (_gate)
            {
                _connections.RemoveAll(t => t.IsCompleted);
                _connections.Add(Task.Run(() => ForwardAsync(client)));
            }
        }
    }

    private async Task ForwardAsync(Socket client)
    {
        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.NoDelay = true;
        Track(client, server);
        long budget;
        lock (_gate)
        {
            budget = NextIsCut() ? _random.Next(_options.MinBytesBeforeCut, _options.MaxBytesBeforeCut + 1) : long.MaxValue;
        }
        var connection = new Connection(client, server, budget);
        try
        {
            await server.ConnectAsync(_target, _stop.Token);
            var up = PumpAsync(connection, client, server);
            var down = PumpAsync(connection, server, client);
            await Task.WhenAll(up, down);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
        }
        finally
        {
            connection.Abort();
            Untrack(client, server);
        }
    }

    /// <summary>Forwards one direction until end of stream, an error, or the cut.</summary>
    private async Task PumpAsync(Connection connection, Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    to.Shutdown(SocketShutdown.Send);
                    return;
                }
                if (ShouldDelay(out var delay))
                {
                    Interlocked.Increment(ref _delayed);
                    await Task.Delay(delay, _stop.Token);
                }
                var left = Interlocked.Add(ref connection.Remaining, -read);
                var forward = left >= 0 ? read : (int)Math.Max(0, read + left);
                if (forward > 0)
                {
                    await to.SendAsync(buffer.AsMemory(0, forward), SocketFlags.None, _stop.Token);
                    Interlocked.Add(ref _forwarded, forward);
                }
                if (left < 0)
                {
                    if (connection.Abort())
                    {
                        Interlocked.Increment(ref _cut);
                    }
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // The other side (or the cut, or the proxy stopping) ended it: end both ways.
            connection.Abort();
        }
    }

    /// <summary>Exactly <see cref="ChaosProxyOptions.CutShare"/> of every ten connections, at random places.</summary>
    private bool NextIsCut()
    {
        if (_cutPlan.Count == 0)
        {
            var cuts = (int)Math.Round(_options.CutShare * 10);
            var block = Enumerable.Range(0, 10).Select(i => i < cuts).OrderBy(_ => _random.Next()).ToList();
            if (_options.CutFirstOfBlock && cuts > 0 && !block[0])
            {
                block[block.IndexOf(true)] = false;
                block[0] = true;
            }
            foreach (var cut in block)
            {
                _cutPlan.Enqueue(cut);
            }
        }
        return _cutPlan.Dequeue();
    }

    private bool ShouldDelay(out TimeSpan delay)
    {
        lock (_gate)
        {
            if (_options.DelayProbability > 0 && _random.NextDouble() < _options.DelayProbability)
            {
                delay = _options.MaxDelay * _random.NextDouble();
                return true;
            }
        }
        delay = TimeSpan.Zero;
        return false;
    }

    private void Track(params Socket[] sockets)
    {
        lock (_gate)
        {
            _sockets.AddRange(sockets);
        }
    }

    private void Untrack(params Socket[] sockets)
    {
        lock (_gate)
        {
            foreach (var socket in sockets)
            {
                _sockets.Remove(socket);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        List<Socket> sockets;
        Task[] connections;
        lock (_gate)
        {
            sockets = [.. _sockets];
            connections = [.. _connections];
        }
        foreach (var socket in sockets)
        {
            Connection.Reset(socket);
        }
        await Task.WhenAll(connections);
        _stop.Dispose();
    }

    private sealed class Connection(Socket client, Socket server, long budget)
    {
        private int _aborted;

        /// <summary>Bytes still to forward before the cut (both directions together).</summary>
        public long Remaining = budget;

        /// <summary>Resets both sockets (RST, no graceful close); true for the call that did it.</summary>
        public bool Abort()
        {
            if (Interlocked.Exchange(ref _aborted, 1) == 1)
            {
                return false;
            }
            Reset(client);
            Reset(server);
            return true;
        }

        public static void Reset(Socket socket)
        {
            try
            {
                socket.LingerState = new LingerOption(true, 0);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            socket.Dispose();
        }
    }
}
