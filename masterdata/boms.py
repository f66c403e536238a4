"""The BOM graph: cycle refusal and low-level codes, over plain (parent, component) pairs."""

from collections import defaultdict, deque
from collections.abc import Iterable


def find_cycle(
    edges: Iterable[tuple[int, int]], parent: int, components: Iterable[int]
) -> list[int] | None:
    """The path parent → … → parent that adding `parent → components` would close, or None."""
    children: dict[int, list[int]] = defaultdict(list)
    for p, c in edges:
        if p != parent:
            children[p].append(c)
    for component in components:
        if component == parent:
            return [parent, parent]
        # Depth-first from the component looking for the parent, remembering how we got there.
        stack = [(component, [parent, component])]
        seen = set()
        while stack:
            node, path = stack.pop()
            if node == parent:
                return path
            if node in seen:
                continue
            seen.add(node)
            for child in children.get(node, ()):
                stack.append((child, [*path, child]))
    return None


def low_level_codes(edges: Iterable[tuple[int, int]]) -> dict[int, int]:
    """Deepest level of every item in the graph (end items 0), by longest path from any root."""
    children: dict[int, set[int]] = defaultdict(set)
    indegree: dict[int, int] = defaultdict(int)
    nodes: set[int] = set()
    for p, c in edges:
        if c not in children[p]:
            children[p].add(c)
            indegree[c] += 1
        nodes.update((p, c))
    level = dict.fromkeys(nodes, 0)
    queue = deque(n for n in nodes if indegree[n] == 0)
    while queue:
        node = queue.popleft()
        for child in children[node]:
            level[child] = max(level[child], level[node] + 1)
            indegree[child] -= 1
            if indegree[child] == 0:
                queue.append(child)
    return level
