/**
 * Strongly connected components, in Tarjan's order (a component comes before those that reach it).
 * Iterative: reachability graphs and nets can be deep enough to overflow a recursion.
 */
export function stronglyConnected(
  nodeCount: number,
  successors: (node: number) => readonly number[],
): number[][] {
  const order = new Int32Array(nodeCount).fill(-1);
  const low = new Int32Array(nodeCount);
  const onStack = new Uint8Array(nodeCount);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < nodeCount; root++) {
    if (order[root] !== -1) continue;
    const calls: { node: number; next: number; targets: readonly number[] }[] = [];
    const enter = (n: number): void => {
      order[n] = low[n] = counter++;
      stack.push(n);
      onStack[n] = 1;
      calls.push({ node: n, next: 0, targets: successors(n) });
    };
    enter(root);
    while (calls.length > 0) {
      const frame = calls[calls.length - 1]!;
      if (frame.next < frame.targets.length) {
        const target = frame.targets[frame.next++]!;
        if (order[target] === -1) enter(target);
        else if (onStack[target] === 1) low[frame.node] = Math.min(low[frame.node]!, order[target]!);
        continue;
      }
      calls.pop();
      const parent = calls[calls.length - 1];
      if (parent) low[parent.node] = Math.min(low[parent.node]!, low[frame.node]!);
      if (low[frame.node] === order[frame.node]) {
        const members: number[] = [];
        let member: number;
        do {
          member = stack.pop()!;
          onStack[member] = 0;
          members.push(member);
        } while (member !== frame.node);
        components.push(members);
      }
    }
  }
  return components;
}
