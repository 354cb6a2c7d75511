/**
 * A start that takes longer than a second (a pull, a busy engine) shows
 * "Starting your environment..." with a dot a second instead of silence.
 */
export function startProgress(say: (text: string) => void): { say: (text: string) => void; stop: () => void } {
  let dots = false;
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer = setTimeout(() => {
      say(dots ? '.' : 'Starting your environment...');
      dots = true;
      arm();
    }, 1000);
  };
  const end = () => {
    if (dots) {
      say('\n');
      dots = false;
    }
  };
  arm();
  return {
    say: (text) => {
      end();
      say(text);
    },
    stop: () => {
      clearTimeout(timer);
      end();
    },
  };
}
