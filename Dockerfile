# The Trailhound service (`trailhound serve`): ingests CloudTrail logs into DuckDB and serves the report API.
# Built by docker-compose.yml; Grafana reaches it at http://trailhound:7480 on the compose network.

# Build: compile the CLI into one file (build/service/trailhound.cjs).
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build:service

# Run: production dependencies only (the Grafana plugin's packages are dev dependencies, bundled at build time).
FROM node:22-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    TRAILHOUND_DB=/data/trailhound.duckdb \
    TRAILHOUND_LISTEN=0.0.0.0:7480
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY bin ./bin
COPY --from=build /app/build ./build

# The DuckDB file, the API token file (when TRAILHOUND_TOKEN is unset) and the sample logs live here.
# Its owner's only (the service's files in it are 0600): CloudTrail events are sensitive, and Grafana reads them through the API.
RUN mkdir -p /data && chown node:node /data && chmod 700 /data
VOLUME ["/data"]
USER node

EXPOSE 7480
# For `docker run` too, not only compose (docker-compose.yml's is the same): /api/health answers 200 as soon as serve
# listens, and while it upgrades a database (minutes for a big one), so a slow start is never restarted as unhealthy.
# It asks the address TRAILHOUND_LISTEN names (loopback for every interface, as `trailhound report` does): set that, not
# --listen, to serve on another.
HEALTHCHECK --interval=30s --timeout=5s --start-period=120s --retries=3 \
  CMD ["node", "-e", "const l=process.env.TRAILHOUND_LISTEN||':7480',i=l.lastIndexOf(':'),h=l.slice(0,i).replace(/[[\\]]/g,''),a=!h||h==='0.0.0.0'||h==='::'?'127.0.0.1':h;fetch('http://'+(a.includes(':')?'['+a+']':a)+':'+l.slice(i+1)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Listens where TRAILHOUND_LISTEN says (above: every interface of the container); docker-compose.yml publishes it on the
# host's loopback.
CMD ["node", "bin/trailhound", "serve"]
