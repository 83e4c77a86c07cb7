# syntax=docker/dockerfile:1
# Node 22 LTS, the same major CI tests on (.ci/run).
ARG NODE_IMAGE=node:22-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary can be fetched.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm ci --no-audit --no-fund && npm prune --omit=dev

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production TAMER_DATA_DIR=/var/lib/tamer TAMER_PORT=8080
WORKDIR /app
# git for the mirror cache; nbdime is optional (the native diff engine serves without it).
RUN apt-get update && apt-get install -y --no-install-recommends git && rm -rf /var/lib/apt/lists/* \
  && groupadd --system tamer && useradd --system --gid tamer --home /var/lib/tamer tamer \
  && mkdir -p /var/lib/tamer && chown tamer:tamer /var/lib/tamer
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
COPY jenkinsfiles ./jenkinsfiles
USER tamer
VOLUME /var/lib/tamer
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.TAMER_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
