// A text box that reports its value when the user leaves it or presses Enter, so a query does not run on
// every keystroke.
import { Input } from '@grafana/ui';
import { useEffect, useRef, useState, type ComponentProps } from 'react';

type Props = Omit<ComponentProps<typeof Input>, 'value' | 'onChange' | 'onBlur'> & {
  value: string;
  onCommit: (value: string) => void;
  /**
   * Also report text not yet reported when the box goes away with the focus in it (its view left by the browser's Back),
   * as leaving it would have: React sends no blur for a box taken out of the page. Not for an editor that starts over on
   * a query replaced from outside: the text would be reported into the query replaced.
   */
  commitWhenRemoved?: boolean;
};

export function BlurInput({ value, onCommit, commitWhenRemoved = false, ...rest }: Props) {
  const [text, setText] = useState(value);
  // Follow outside changes, e.g. a Common Search preset filling the box.
  useEffect(() => setText(value), [value]);
  const commit = () => {
    if (text !== value) {
      onCommit(text);
      // Show what was stored, not what was typed: when the owner keeps the value as it was (a limit of 0 means the
      // default), the box goes back to it; when the value changes, the effect above shows the new one.
      setText(value);
    }
  };
  // The last render's commit, as its text and value were when the box went away.
  const lastCommit = useRef(commit);
  useEffect(() => {
    lastCommit.current = commit;
  });
  useEffect(() => () => {
    if (commitWhenRemoved) lastCommit.current();
  }, [commitWhenRemoved]);
  return (
    <Input
      {...rest}
      value={text}
      onChange={(e) => setText(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          commit();
        }
      }}
    />
  );
}
