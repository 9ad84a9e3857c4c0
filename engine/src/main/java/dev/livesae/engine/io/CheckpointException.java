package dev.livesae.engine.io;

import java.io.IOException;
import java.nio.file.Path;

/** A checkpoint file is missing, corrupt or does not match what it claims or what was expected. */
public final class CheckpointException extends IOException {
  private static final long serialVersionUID = 1L;

  public CheckpointException(Path file, String problem) {
    super(file + ": " + problem);
  }

  public CheckpointException(Path file, String problem, Throwable cause) {
    super(file + ": " + problem, cause);
  }
}
