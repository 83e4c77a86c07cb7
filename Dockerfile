# syntax=docker/dockerfile:1
# Node 24, the newest LTS; CI tests it and Node 22 (.ci/run).
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
# Not pinned (DL3008): Debian drops superseded versions, so a pin breaks the build at the next security update.
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# Dependencies first, in their own layers: a code change reuses them instead of reinstalling and
# recompiling better-sqlite3. --ignore-scripts skips the root's `prepare` (the build, which needs
# src/); `npm rebuild` then runs the dependencies' own install scripts (better-sqlite3's prebuilt
# binary or its compile), as https://docs.npmjs.com/cli/commands/npm-rebuild describes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
# Runs as a numeric non-root user (so Kubernetes' runAsNonRoot can verify it) on a read-only
# root filesystem: the code is root's and not writable by that user; Tamer writes only under
# the data volume (tamer.db, mirrors/, and HOME for git and ssh) and TMPDIR (nbdiff's scratch
# files, SQLite's temp files), which is a tmpfs / emptyDir at run time.
ENV NODE_ENV=production TAMER_DATA_DIR=/var/lib/tamer TAMER_PORT=8080 HOME=/var/lib/tamer TMPDIR=/tmp
WORKDIR /app
# git for the mirror cache; nbdime is optional (the native diff engine serves without it).
# hadolint ignore=DL3008
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/* \
  && groupadd --gid 10001 tamer \
  && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/tamer --shell /usr/sbin/nologin tamer \
  && mkdir -p /var/lib/tamer && chown 10001:10001 /var/lib/tamer && chmod 0750 /var/lib/tamer
# COPY without --chown: root-owned, read-only for uid 10001.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY jenkinsfiles ./jenkinsfiles
USER 10001:10001
VOLUME /var/lib/tamer
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TAMER_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/index.js"]
CMD ["serve"]
