import CStdio

/// The process's standard output stream.
public enum StandardOutput {
    /// Flushes every line as it is printed, so progress reaches pipes and CI logs as it happens.
    public static func flushEachLine() { tg_line_buffer_stdout() }
}
