using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ExchangeGateway.Tests.Fixtures;

/// <summary>Keeps every error a gateway logs, so the test host fails a test whose gateway logged one
/// nobody expected (like grpc-dotnet's <c>VerifyNoErrorsScope</c>): an unexpected server fault answered
/// as INTERNAL, or a background job failing, no longer passes unseen. EF Core's own error for a failed
/// command is not watched: the storage retries or settles those (a lock, a request_id stored by a
/// concurrent call), and what reaches a caller is the gateway's to log.</summary>
public sealed class ErrorLogGuard : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly ConcurrentQueue<string> _expected = new();

    /// <summary>Errors containing <paramref name="fragment"/> are part of what the test provokes.</summary>
    public void Expect(string fragment) => _expected.Enqueue(fragment);

    /// <summary>The errors logged that no <see cref="Expect"/> covers.</summary>
    public IReadOnlyList<string> Unexpected => [.. _errors.Where(e => !_expected.Any(f => e.Contains(f, StringComparison.Ordinal)))];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _errors);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> errors) : ILogger
    {
        private readonly bool _watched = !category.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => _watched && logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                errors.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
